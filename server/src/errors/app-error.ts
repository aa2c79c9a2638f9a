import { ErrorCode } from '../../../common/error-code.js';

/**
 * The codes live in `common/error-code.ts`, shared with the web app; each module makes its errors
 * with factories (see `*.errors.ts`), and the GraphQL error mapper turns them into responses.
 */
export { ErrorCode };

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
