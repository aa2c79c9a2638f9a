/**
 * Runs gpuaas as a real child process for multi-process tests: `src/main.ts --role <role>` from
 * sources (through @swc-node/register), on a database a test created. Every child started here is
 * tracked and killed by `stopAllChildren()` (call it in afterAll), and SIGKILLed if the test
 * process itself exits with one still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessRole } from '../../src/config.js';
import { TEST_ENV, gqlAt, type GqlResponse } from '../harness.js';

/** The server package's folder: the child's cwd (swc reads tsconfig.json from there). */
export const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const START_TIMEOUT_MS = 30_000;

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One JSON log line of a child. */
export type LogLine = Record<string, unknown> & { msg?: string };

const running = new Set<ChildServer>();

process.once('exit', () => {
  for (const child of running) child.process.kill('SIGKILL');
});

export class ChildServer {
  /** Base URL (`http://127.0.0.1:<port>`), known once the child logged 'gpuaas started'. */
  url = '';
  /** Every JSON line the child wrote to stdout, parsed. */
  readonly logs: LogLine[] = [];
  /** Everything the child wrote to stderr (and stdout lines that were not JSON). */
  stderr = '';
  /** Resolves when the process has exited. */
  readonly exited: Promise<ChildExit>;
  exit: ChildExit | undefined;

  private constructor(
    readonly name: string,
    readonly role: ProcessRole,
    readonly process: ChildProcess,
  ) {
    this.exited = new Promise<ChildExit>((resolve) => {
      process.once('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
    let pending = '';
    process.stdout!.setEncoding('utf8');
    process.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() === '') continue;
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.stderr += `${line}\n`;
        }
      }
    });
    process.stderr!.setEncoding('utf8');
    process.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }

  /** The child's pid. */
  get pid(): number {
    return this.process.pid!;
  }

  /**
   * Starts `src/main.ts --role <role>` with the test's environment plus `env` (DATABASE_URL
   * must be in it) and waits until it logs its URL.
   */
  static async start(role: ProcessRole, env: Record<string, string>, name: string = role): Promise<ChildServer> {
    if (!env.DATABASE_URL) throw new Error('ChildServer.start needs DATABASE_URL in env');
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'src/main.ts', '--role', role],
      {
        cwd: SERVER_DIR,
        env: {
          ...process.env,
          // The launcher reads the 'gpuaas started' line, whatever level the test run logs at.
          LOG_LEVEL: 'info',
          ...TEST_ENV,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const server = new ChildServer(name, role, child);
    running.add(server);
    try {
      await server.waitForLog((line) => line.msg === 'gpuaas started' && typeof line.url === 'string', START_TIMEOUT_MS);
    } catch (error) {
      await server.stop();
      throw error;
    }
    const started = server.logs.find((line) => line.msg === 'gpuaas started')!;
    server.url = String(started.url);
    return server;
  }

  /** The simulator's worker id, as the child logged it (worker roles). */
  get workerId(): string | undefined {
    const line = this.logs.find((l) => l.msg === 'Simulation worker started');
    return line === undefined ? undefined : String(line.workerId);
  }

  /** Waits until the child logs a line matching `match`; fails if it exits first or after `timeoutMs`. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (this.exit) throw new Error(`${this.describe()} exited (${JSON.stringify(this.exit)}) before the expected log line\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`${this.describe()}: no expected log line within ${timeoutMs} ms\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends a signal (SIGTERM by default); a no-op once the child has exited. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.exit) this.process.kill(signal);
  }

  /** Waits for the child to exit; fails after `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<ChildExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.describe()} did not exit within ${timeoutMs} ms\n${this.output()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the child for good (SIGKILL) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }

  /** One GraphQL operation over HTTP POST to this child. */
  async gql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse<T>> {
    try {
      return await gqlAt<T>(this.url, query, variables, token);
    } catch (error) {
      // A request that got no answer: say whether the process is still there, and what it said.
      const cause = (error as { cause?: unknown }).cause;
      throw new Error(
        `${this.describe()}: request failed (${String(error)}${cause ? `; ${String(cause)}` : ''}); ` +
          `${this.exit ? `the process exited ${JSON.stringify(this.exit)}` : 'the process is running'}\n${this.output()}`,
        { cause: error },
      );
    }
  }

  describe(): string {
    return `${this.name} (role ${this.role}, pid ${this.process.pid})`;
  }

  /** The child's stderr and its last log lines, for error messages. */
  output(): string {
    const tail = this.logs.slice(-20).map((l) => JSON.stringify(l)).join('\n');
    return `--- stderr of ${this.describe()} ---\n${this.stderr.slice(-4000)}\n--- last log lines ---\n${tail}`;
  }
}

/** Kills every child still running (SIGKILL) and waits for them; for afterAll. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}
