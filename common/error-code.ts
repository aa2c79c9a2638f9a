/**
 * The error codes a client can see in `extensions.code`, shared by the server (which raises them)
 * and the web app (which reads them). Documented in the README's "The API" section. Kept free of
 * imports so both sides can compile it as it is.
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
  /**
   * No UP node of the job's type has enough free GPUs; `extensions` carry `gpuType`, `requested`,
   * `freeOnBestNode` and `freeTotal`.
   */
  INSUFFICIENT_CAPACITY = 'INSUFFICIENT_CAPACITY',
}
