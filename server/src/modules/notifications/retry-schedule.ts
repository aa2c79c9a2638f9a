/** How long the outbox keeps retrying a delivery before it gives up (SPEC §9: 24 hours). */
export const GIVE_UP_AFTER_SECONDS = 24 * 3600;

/**
 * The delay before retry number `attempt` (1 = the retry after the first failed attempt):
 * `base`, 2 × `base`, 4 × `base` … (with the default base of 10 s: 10 s, 20 s, 40 s …).
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer (got ${attempt})`);
  // 2^1023 is the largest power of two a double holds; past it the delay is beyond any window anyway.
  return baseSeconds * 2 ** Math.min(attempt - 1, 1023);
}

/**
 * When a delivery that has now failed `attempts` times, first written at `createdAt`, is tried
 * again; null when that would be past `giveUpAfterSeconds` from its creation (it is then FAILED).
 */
export function nextAttemptAt(
  attempts: number,
  createdAt: Date,
  now: Date,
  baseSeconds: number,
  giveUpAfterSeconds: number = GIVE_UP_AFTER_SECONDS,
): Date | null {
  const next = now.getTime() + retryDelaySeconds(attempts, baseSeconds) * 1000;
  return next > createdAt.getTime() + giveUpAfterSeconds * 1000 ? null : new Date(next);
}
