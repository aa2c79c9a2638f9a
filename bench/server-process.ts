/**
 * A gpuaas process under test: the built server (`server/dist`, what `npm start` runs) started as
 * a child with its own environment, so the load generator's CPU is never counted in it. Its log
 * goes to a file rather than through this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessRole } from '../server/src/config.js';
import { cpuSeconds, raisedFileLimit, rssBytes } from './proc-stats.js';

/** The repository's root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The built server's entry, as `npm start` runs it. */
export const SERVER_MAIN = path.join(ROOT, 'server/dist/server/src/main.js');

const STOP_GRACE_MS = 15_000;

/** Children still running: if the benchmark dies, they are told to stop rather than left behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/** Asks the OS for a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The environment of a child: only what a process needs to run (PATH, HOME) plus `vars`, so
 * settings in the caller's environment never change what is measured.
 */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars };
}

/** Polls `url` until it answers 200; fails when `alive()` turns false or after `timeoutMs`. */
export async function waitForOk(url: string, timeoutMs: number, alive: () => boolean, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the process exited before ${url} answered`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Options of one server process. */
export interface ServerOptions {
  /** Names the log file and the CPU profile. */
  name: string;
  role: ProcessRole;
  databaseUrl: string;
  /** Configuration variables on top of the defaults below. */
  env: Record<string, string>;
  /** Folder for the log file (and the CPU profile). */
  dir: string;
  /** Writes a V8 CPU profile (`node --cpu-prof`) into `dir` when the process exits. */
  cpuProfile?: boolean;
}

/**
 * A child process a benchmark measures (a gpuaas process, or a peer it is compared with), its
 * log in a file: its CPU read by pid, stopped as an orchestrator would stop it, and never left
 * running after the benchmark.
 */
export class MeasuredProcess {
  private exited = false;
  private readonly exit: Promise<void>;

  protected constructor(
    readonly name: string,
    readonly url: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    running.add(child);
    this.exit = new Promise((resolve) =>
      child.once('exit', () => {
        this.exited = true;
        running.delete(child);
        resolve();
      }),
    );
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** CPU seconds used so far. */
  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  /** The last lines of the process's log, for error messages. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Stops the process as an orchestrator would (SIGTERM), and SIGKILLs it if it hangs. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exit;
    clearTimeout(timer);
  }

  /** Waits until `ready` resolves; if it fails, stops the process and throws with its log's tail. */
  protected async waitUntilReady(ready: Promise<void>): Promise<void> {
    try {
      await ready;
    } catch (error) {
      await this.stop();
      throw new Error(`${this.name}: ${(error as Error).message}\n${this.logTail()}`, { cause: error });
    }
  }
}

export class ServerProcess extends MeasuredProcess {
  /** Starts the built server and waits until `/readyz` answers. */
  static async start(options: ServerOptions): Promise<ServerProcess> {
    const port = await freePort();
    const logFile = path.join(options.dir, `${options.name}.log`);
    const log = openSync(logFile, 'a');
    const profile = options.cpuProfile
      ? ['--cpu-prof', '--cpu-prof-dir', options.dir, '--cpu-prof-name', `${options.name}.cpuprofile`]
      : [];
    const [command, args] = raisedFileLimit(process.execPath, [...profile, SERVER_MAIN, '--role', options.role]);
    const child = spawn(command, args, {
      cwd: ROOT,
      env: childEnv({
        NODE_ENV: 'production',
        DATABASE_URL: options.databaseUrl,
        PORT: String(port),
        WEB_DIST: '/nonexistent',
        ...options.env,
      }),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const server = new ServerProcess(options.name, `http://127.0.0.1:${port}`, logFile, child);
    await server.waitUntilReady(waitForOk(`${server.url}/readyz`, 60_000, () => server.alive));
    return server;
  }

  /** Resident memory now, in bytes. */
  rssBytes(): number {
    return rssBytes(this.pid);
  }
}
