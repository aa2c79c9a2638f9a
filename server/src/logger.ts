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
  // Buffered, asynchronous writes to stdout: a synchronous write per line would stall requests.
  // pino flushes the buffer when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
