import pino from 'pino';

/** Severity of a log line (`LOG_LEVEL`). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** A structured logger: one JSON object a line (pino), with bound context fields. */
export type Logger = pino.Logger;

/**
 * Paths never written to a log, whatever a caller passes: credentials in requests, variables
 * and inputs. pino replaces them with "[redacted]".
 */
const REDACT = [
  'password',
  'token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'variables.input.password',
  'variables.password',
  'connectionParams.authorization',
  '*.password',
  '*.token',
  '*.authorization',
];

/** Creates the process's logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }));
}

/**
 * Lines are written to stdout asynchronously, in batches of at least this many bytes (a dozen
 * request lines or so), not with a write() each: under load a write per line cost several percent
 * of a request's CPU. pino writes what is left synchronously when the process exits, a crash
 * included (its exit handler); only a kill -9 can lose the last batch.
 */
const LOG_BATCH_BYTES = 4096;

/** The longest a line waits in a batch that is not yet full: quiet periods still log promptly. */
const LOG_FLUSH_MS = 250;

const unredacted = new WeakMap<Logger, Logger>();

/**
 * `log` without redaction, for lines whose every field our code names and none of which can hold
 * a credential (the request line: method, path, status, ids, durations, error codes). Matching the
 * redaction paths, wildcards included, cost as much as writing the rest of such a line.
 */
export function unredactedLogger(log: Logger): Logger {
  let plain = unredacted.get(log);
  if (plain === undefined) {
    plain = log.child({}, { redact: { paths: [] } });
    unredacted.set(log, plain);
  }
  return plain;
}
