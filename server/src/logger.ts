/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A structured logger: one JSON object a line, with bound context fields. */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  /** A logger whose every line also carries `fields`. */
  child(fields: Record<string, unknown>): Logger;
}

function serialize(value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
  return value;
}

/** Creates a logger writing JSON lines to `write` (stdout by default) at `level` and above. */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
  bound: Record<string, unknown> = {},
): Logger {
  const emit = (lvl: LogLevel, fields: Record<string, unknown>, msg: string) => {
    if (RANK[lvl] < RANK[level]) return;
    const entry: Record<string, unknown> = { level: lvl, time: new Date().toISOString(), ...bound };
    for (const [k, v] of Object.entries(fields)) entry[k] = serialize(v);
    entry.msg = msg;
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (f, m) => emit('debug', f, m),
    info: (f, m) => emit('info', f, m),
    warn: (f, m) => emit('warn', f, m),
    error: (f, m) => emit('error', f, m),
    child: (fields) => createLogger(level, write, { ...bound, ...fields }),
  };
}
