/**
 * When signing keys rotate and how long a retired key stays published. Keys form generations;
 * the newest signs. A key is retired when its successor appears, and must stay in the JWKS until
 * every token it signed has expired: the token lifetime plus a margin for replicas that have not
 * yet noticed the rotation and for clock skew.
 */
export interface KeyGeneration {
  readonly generation: number;
  readonly createdAt: Date;
}

/** Whether the newest key (or the absence of any) calls for a new generation. */
export function rotationDue(newest: KeyGeneration | undefined, now: Date, rotateAfterMs: number): boolean {
  return newest === undefined || now.getTime() - newest.createdAt.getTime() >= rotateAfterMs;
}

/**
 * The keys verifiers still need, from keys sorted newest first: the newest, and each older one
 * whose successor was created less than `graceMs` ago.
 */
export function stillPublished<K extends KeyGeneration>(newestFirst: readonly K[], now: Date, graceMs: number): K[] {
  return newestFirst.filter((_key, index) => {
    if (index === 0) return true;
    const successor = newestFirst[index - 1]!;
    return now.getTime() - successor.createdAt.getTime() < graceMs;
  });
}
