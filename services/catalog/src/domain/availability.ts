/** One product's availability as an inventory event reports it. */
export interface AvailabilityUpdate {
  readonly productId: string;
  readonly available: bigint;
  readonly version: bigint;
}

/**
 * Whether an update is newer than what the replica holds: events may arrive out of order (they
 * are published in batches and redelivered), and the stock version orders them.
 */
export function supersedes(update: AvailabilityUpdate, heldVersion: bigint | undefined): boolean {
  return heldVersion === undefined || update.version > heldVersion;
}
