/** Lifetimes offered for a new token, in days; null: it never expires. */
export const TOKEN_LIFETIMES: readonly (number | null)[] = [7, 30, 90, 365, null];

/** The lifetime a new token gets unless its owner picks another. */
export const DEFAULT_TOKEN_LIFETIME = 90;

/** Longest name of a token, as the server checks it. */
export const MAX_TOKEN_NAME = 100;

/** Whether a token's expiry has passed at `now` (a token without one never expires). */
export function isExpired(expiresAt: string | null, now: Date = new Date()): boolean {
  return expiresAt !== null && Date.parse(expiresAt) <= now.getTime();
}

/** What is wrong with a name before it is sent: 'required', 'tooLong' or null. */
export function nameProblem(name: string): 'required' | 'tooLong' | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'required';
  if (trimmed.length > MAX_TOKEN_NAME) return 'tooLong';
  return null;
}
