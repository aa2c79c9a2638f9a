import { badUserInput } from '../../errors/app-error.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

/** Minimum password length. */
export const MIN_PASSWORD_LENGTH = 10;
/** bcrypt reads at most 72 bytes; longer passwords would be silently cut, so they are refused. */
export const MAX_PASSWORD_BYTES = 72;

/** The longest email an account may have. */
export const MAX_EMAIL_LENGTH = 254;

const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:.]{2,}$/;

/** Whether an email could belong to an account at all (shape aside): short, no control characters. */
export function isPlausibleEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && !/\p{Cc}/u.test(email);
}

/** Trims and lower-cases an email, so lookups and the unique index ignore case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Checks an email's shape and returns it normalised. */
export function validateEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (normalized.length > MAX_EMAIL_LENGTH || !EMAIL.test(normalized) || /\p{Cc}/u.test(normalized)) {
    throw badUserInput('email', 'must be a valid email address such as ada@example.org');
  }
  return normalized;
}

/** Checks a new password's strength; the message never echoes it. */
export function validatePassword(password: string, email: string): void {
  if (/\p{Cc}/u.test(password)) {
    throw badUserInput('password', 'must not contain control characters');
  }
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw badUserInput('password', `must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw badUserInput('password', `must be at most ${MAX_PASSWORD_BYTES} bytes long`);
  }
  if (normalizeEmail(password) === email) {
    throw badUserInput('password', 'must not be your email address');
  }
  if (COMMON_PASSWORDS.has(password.toLowerCase())) {
    throw badUserInput('password', 'is one of the most common passwords; choose another');
  }
}
