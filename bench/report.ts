/**
 * How benchmark results are shown: tables for the terminal and for `bench/RESULTS.md`, the
 * targets each scenario checks, and the description of the machine they ran on.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Spread } from './stats.js';

/** A table of figures; every cell is already formatted. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

/** One target of the issue, checked against what was measured. */
export interface TargetCheck {
  target: string;
  measured: string;
  /** null when it could not be measured in this run. */
  met: boolean | null;
}

/** What one scenario produced. */
export interface ScenarioResult {
  title: string;
  /** How it was measured, one bullet each. */
  method: string[];
  tables: Table[];
  targets: TargetCheck[];
  /** What limits the figures, with the evidence gathered during the run. */
  findings: string[];
  /** Verbatim evidence (query plans, profile summaries), shown as code blocks. */
  evidence: { title: string; text: string }[];
  seconds: number;
}

/** A number with thousands separators and at most `digits` decimals; "–" for NaN. */
export function num(value: number, digits = 0): string {
  if (Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A figure over runs: the median, then the range when there was more than one run. */
export function fig(s: Spread, digits = 0): string {
  if (s.runs === 0) return '–';
  if (s.runs === 1 || s.min === s.max) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/** A ratio such as `0.62×`. */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

/** A fraction as a percentage, e.g. `12.5 %`. */
export function pct(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : '–';
}

export function mark(met: boolean | null): string {
  return met === null ? 'not measured' : met ? 'met' : 'MISSED';
}

/** Renders a table with aligned columns for the terminal. */
export function textTable(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [table.title, line(table.columns), line(widths.map((w) => '-'.repeat(w))), ...table.rows.map(line)].join('\n');
}

/** Renders a table in GitHub Markdown. */
export function markdownTable(table: Table): string {
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  return [
    `**${table.title}**`,
    '',
    line(table.columns),
    line(table.columns.map(() => '---')),
    ...table.rows.map(line),
  ].join('\n');
}

/** Prints a scenario's tables and target checks as soon as it ends. */
export function printScenario(result: ScenarioResult): void {
  const parts = [`\n=== ${result.title} (${Math.round(result.seconds)} s) ===`];
  for (const table of result.tables) parts.push(textTable(table), '');
  for (const t of result.targets) parts.push(`  [${mark(t.met)}] ${t.target}: ${t.measured}`);
  for (const f of result.findings) parts.push(`  * ${f}`);
  process.stdout.write(`${parts.join('\n')}\n`);
}

/** Where the run happened, for the results' header. */
export interface RunInfo {
  mode: 'full' | 'quick';
  runs: number;
  date: Date;
  database: string;
  postgresVersion: string;
  totalSeconds: number;
  failures: { scenario: string; error: string }[];
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The machine and code the figures come from. */
export function machineLines(): string[] {
  const cpus = os.cpus();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  // The results file itself is left out: it holds the previous run until this one is written.
  const dirty = git(['status', '--porcelain', '--', ':(top)', ':(top,exclude)bench/RESULTS.md']) === '' ? '' : ' (with uncommitted changes)';
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores; memory ${num(os.totalmem() / 2 ** 30, 1)} GiB`,
    `OS: ${os.type()} ${os.release()}; Node.js ${process.version}`,
    `Load average when the run started: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`,
    `Code: commit ${commit}${dirty}`,
  ];
}

/** The whole `bench/RESULTS.md`. */
export function resultsMarkdown(info: RunInfo, machine: string[], results: ScenarioResult[]): string {
  const out: string[] = [
    '# gpuaas benchmark results',
    '',
    `Written by \`npm run bench\` (see [README.md](README.md)). **Mode: ${info.mode}**` +
      (info.mode === 'quick' ? ' (BENCH_QUICK=1: small sizes, a smoke run, not figures to quote)' : '') +
      `. Each figure is the median of ${info.runs} run${info.runs === 1 ? '' : 's'}` +
      (info.runs > 1 ? ', with the range (min–max) in parentheses.' : '.'),
    '',
    `- Date: ${info.date.toISOString()}`,
    ...machine.map((m) => `- ${m}`),
    `- Database: ${info.database}; ${info.postgresVersion}`,
    `- Whole run: ${Math.round(info.totalSeconds)} s`,
    '',
    '## Targets',
    '',
    markdownTable({
      title: 'Every target of the issue, against this run',
      columns: ['target', 'measured', 'result'],
      rows: results.flatMap((r) => r.targets.map((t) => [t.target, t.measured, mark(t.met)])),
    }),
  ];
  if (info.failures.length > 0) {
    out.push('', '## Scenarios that failed', '');
    for (const f of info.failures) out.push(`- **${f.scenario}**: ${f.error}`);
  }
  for (const r of results) {
    out.push('', `## ${r.title}`, '', ...r.method.map((m) => `- ${m}`));
    for (const table of r.tables) out.push('', markdownTable(table));
    if (r.findings.length > 0) out.push('', '**What limits the figures**', '', ...r.findings.map((f) => `- ${f}`));
    for (const e of r.evidence) out.push('', `<details><summary>${e.title}</summary>`, '', '```', e.text.trimEnd(), '```', '', '</details>');
  }
  return `${out.join('\n')}\n`;
}
