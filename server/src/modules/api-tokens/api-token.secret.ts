import { createHash, randomBytes } from 'node:crypto';

/** Every API token starts with this, so it is told from a login token (and found by secret scanners). */
export const API_TOKEN_PREFIX = 'gpa_';

/** Random bytes in a token: 256 bits, so a hash without salt or stretching is safe to store. */
export const API_TOKEN_BYTES = 32;

/** A token's length: the prefix and 32 bytes in unpadded base64url (43 characters). */
export const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + 43;

const TOKEN_PATTERN = /^gpa_[A-Za-z0-9_-]{43}$/;

/** A new token value: `gpa_` and 32 random bytes, base64url. Shown once, never stored. */
export function newApiToken(random: (size: number) => Buffer = randomBytes): string {
  return API_TOKEN_PREFIX + random(API_TOKEN_BYTES).toString('base64url');
}

/** Whether a bearer token is an API token (by its prefix): such tokens never reach the JWT check. */
export function isApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}

/** Whether `token` has an API token's exact shape; anything else is refused without a lookup. */
export function isWellFormedApiToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * What the database keeps of a token: its SHA-256, hex. The token carries 256 random bits, so no
 * salt or slow hash is needed (nothing to guess); a stolen table yields no usable token.
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
