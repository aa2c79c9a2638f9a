import { AppError, ErrorCode } from '../../errors/app-error.js';

export const authErrors = {
  /** No usable token: missing, malformed, tampered, expired or revoked. */
  unauthenticated: () => new AppError(ErrorCode.UNAUTHENTICATED, 'You must be signed in to do this'),
  /** The same message whether the email exists or not, so logins cannot probe for accounts. */
  invalidCredentials: () => new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password'),
  adminOnly: () => new AppError(ErrorCode.FORBIDDEN, 'Only an admin can do this'),
  rateLimited: (retryAfter: number) =>
    new AppError(ErrorCode.RATE_LIMITED, `Too many attempts; try again in ${retryAfter} seconds`, { retryAfter }),
};
