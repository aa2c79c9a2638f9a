import { badUserInput } from '../../errors/app-error.js';

/** Longest name of a token. */
export const MAX_API_TOKEN_NAME = 100;
/** Longest lifetime a token may be given, in days (null: it never expires). */
export const MAX_API_TOKEN_DAYS = 366;
/** Live tokens one user may hold. */
export const MAX_API_TOKENS_PER_USER = 50;

/** A token request that passed validation. */
export interface ApiTokenRequest {
  name: string;
  /** Null: never expires. */
  expiresAt: Date | null;
}

/**
 * Checks a token request: a name of 1–100 characters (trimmed, no control characters) and a
 * lifetime of 1–366 whole days, or none. Throws BAD_USER_INPUT naming the field.
 */
export function validateApiTokenRequest(name: string, expiresInDays: number | null, now: Date): ApiTokenRequest {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_API_TOKEN_NAME) {
    throw badUserInput('name', `must be 1 to ${MAX_API_TOKEN_NAME} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw badUserInput('name', 'must not contain control characters');
  if (expiresInDays === null) return { name: trimmed, expiresAt: null };
  if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > MAX_API_TOKEN_DAYS) {
    throw badUserInput('expiresInDays', `must be a whole number of days from 1 to ${MAX_API_TOKEN_DAYS}, or null for no expiry`);
  }
  return { name: trimmed, expiresAt: new Date(now.getTime() + expiresInDays * 86_400_000) };
}
