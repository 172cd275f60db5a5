/** Input limits of the inventory API (the proto's, plus sane bounds it leaves open). */
export const limits = {
  /** Lines of one reservation. */
  maxLines: 100,
  /** Units of one product in one reservation (quantity is an int32). */
  maxLineQuantity: 1_000_000,
  /** |delta| of one AdjustStock. */
  maxAdjustDelta: 1_000_000_000n,
  /** Reserve's ttl is clamped to this (the proto says one day). */
  maxTtlMs: 24 * 60 * 60 * 1000,
  maxKeyLength: 128,
  maxReasonLength: 200,
} as const;

/**
 * The time a reservation holds stock: the requested ttl clamped to one day, or the default when
 * none was asked for. A non-positive ttl is the caller's mistake and is refused before this.
 */
export function holdDurationMs(requestedMs: number | undefined, defaultMs: number): number {
  if (requestedMs === undefined) return Math.min(defaultMs, limits.maxTtlMs);
  return Math.min(requestedMs, limits.maxTtlMs);
}
