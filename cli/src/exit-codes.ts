/**
 * What `gpuaas` exits with, so scripts can tell failures apart without parsing text, and the words
 * it prints for each error code the API sends (`extensions.code`, listed in common/error-code.ts).
 */
export enum ExitCode {
  /** Done. */
  Ok = 0,
  /** Anything else that failed: the server refused, could not be reached, or answered an error. */
  Error = 1,
  /** The command line or its values are wrong (also the API's BAD_USER_INPUT). */
  Usage = 2,
  /** No such job, user, node or token, or not yours. */
  NotFound = 3,
  /** The month's quota or the cluster's free GPUs cannot cover the request. */
  QuotaOrCapacity = 4,
}

/** The words printed before the server's own message, and the exit code, for each error code. */
const BY_CODE: Record<string, { words: string; exit: ExitCode; hint?: string }> = {
  UNAUTHENTICATED: { words: 'not signed in', exit: ExitCode.Error, hint: 'run `gpuaas login`, or set GPUAAS_TOKEN' },
  FORBIDDEN: { words: 'not allowed', exit: ExitCode.Error },
  NOT_FOUND: { words: 'not found', exit: ExitCode.NotFound },
  BAD_USER_INPUT: { words: 'invalid input', exit: ExitCode.Usage },
  QUOTA_EXCEEDED: { words: 'quota exceeded', exit: ExitCode.QuotaOrCapacity, hint: 'see `gpuaas quota`' },
  INSUFFICIENT_CAPACITY: { words: 'not enough free GPUs', exit: ExitCode.QuotaOrCapacity, hint: 'see `gpuaas gpus`' },
  INVALID_TRANSITION: { words: 'not possible in its current status', exit: ExitCode.Error },
  RATE_LIMITED: { words: 'too many attempts', exit: ExitCode.Error },
  INTERNAL_SERVER_ERROR: { words: 'the server failed', exit: ExitCode.Error },
};

/** How `gpuaas` reports an API error code: words, exit code and an optional hint. */
export function describeCode(code: string): { words: string; exit: ExitCode; hint?: string } {
  return BY_CODE[code] ?? { words: 'error', exit: ExitCode.Error };
}

/** A failure to report in words and exit with; never printed with a stack trace. */
export class CliError extends Error {
  constructor(
    /** The API's `extensions.code`, or the client's own (`USAGE`, `NETWORK`, `NOT_SIGNED_IN`). */
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode = describeCode(code).exit,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake on the command line: exit 2. */
export function usageError(message: string): CliError {
  return new CliError('USAGE', message, ExitCode.Usage);
}
