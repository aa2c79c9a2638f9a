/**
 * What `gpuaas` prints: tables, key-value blocks, progress bars and errors, in colour only on a
 * terminal and never when NO_COLOR is set (https://no-color.org), or JSON with `--json`.
 */
import { describeCode, type CliError } from './exit-codes.js';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** Whether to colour output written to `stream`. */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** The colour of each job status. */
export const STATUS_COLOUR: Record<string, Colour> = {
  PENDING: 'yellow',
  APPROVED: 'blue',
  RUNNING: 'cyan',
  COMPLETED: 'green',
  FAILED: 'red',
  REJECTED: 'red',
  CANCELLED: 'dim',
};

/** Lays rows out in columns separated by two spaces; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], paint: (cell: string, column: number) => string = (c) => c): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], painted: boolean) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
        return painted ? padded.replace(cell, paint(cell, i)) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), ...rows.map((r) => line(r, true))].join('\n');
}

/** A text progress bar: `[#####.....]  50%`, `width` cells between the brackets. */
export function progressBar(percent: number, width = 20): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(p).padStart(3)}%`;
}

/** GPU-hours as people write them: at most two decimals, no trailing zeros. */
export function hours(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A timestamp in the reader's time zone, to the second (`2026-12-06 14:03:07`). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Where a command writes: stdout for results, stderr for errors, in text or JSON. */
export class Output {
  readonly colour: boolean;
  readonly errColour: boolean;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.colour = useColour(stdout, env);
    this.errColour = useColour(stderr, env);
  }

  /** Whether stdout is a terminal (live redraws). */
  get tty(): boolean {
    return this.stdout.isTTY === true;
  }

  paint(text: string, colour: Colour | undefined, enabled = this.colour): string {
    return enabled && colour ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
  }

  status(status: string): string {
    return this.paint(status, STATUS_COLOUR[status]);
  }

  /** One line of text (text mode only). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** Raw text, for in-place redraws on a terminal. */
  raw(text: string): void {
    this.stdout.write(text);
  }

  /** A result as JSON (JSON mode only). */
  data(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON object on one line, for streams (`watch --json`). */
  event(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** `key: value` lines with the keys aligned. */
  fields(entries: readonly [string, string][]): void {
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) this.line(`${this.paint(`${k}:`.padEnd(width + 1), 'dim')} ${v}`);
  }

  /** A note for a person (stderr, so it never mixes with a script's data). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Reports a failure on stderr: in words with a hint, or as JSON with `--json`. */
  error(error: CliError): void {
    if (this.json) {
      this.stderr.write(`${JSON.stringify({ error: { code: error.code, message: error.message, exitCode: error.exitCode } })}\n`);
      return;
    }
    const words = error.code === 'USAGE' || error.code === 'NETWORK' || error.code === 'CONFIG' ? null : describeCode(error.code).words;
    const hint = error.hint ?? describeCode(error.code).hint;
    const head = this.paint('error:', 'red', this.errColour);
    this.stderr.write(`${head} ${words ? `${words}: ` : ''}${error.message}\n`);
    if (hint) this.stderr.write(`${this.paint('hint:', 'dim', this.errColour)} ${hint}\n`);
  }
}
