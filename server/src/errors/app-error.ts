/**
 * The error codes a client can see in `extensions.code`. Each module makes its errors with
 * factories (see `*.errors.ts`); the GraphQL error mapper turns them into responses.
 */
export enum ErrorCode {
  /** No token, an invalid or expired token, or a failed login. */
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  /** Authenticated, but the operation needs a role the viewer lacks. */
  FORBIDDEN = 'FORBIDDEN',
  /** No such object, or one the viewer may not see: the same answer for both. */
  NOT_FOUND = 'NOT_FOUND',
  /** An input failed validation; `extensions.field` names it. */
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  /** The month's GPU-hour quota cannot cover the request. */
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  /** The job's lifecycle does not allow the requested change from its current status. */
  INVALID_TRANSITION = 'INVALID_TRANSITION',
  /** Too many attempts; `extensions.retryAfter` says how many seconds to wait. */
  RATE_LIMITED = 'RATE_LIMITED',
}

/** An expected failure with a stable code and a message safe to show to the client. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable details for `extensions` (never secrets). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** An input that failed validation; names the field and why. */
export function badUserInput(field: string, reason: string): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, `${field}: ${reason}`, { field });
}
