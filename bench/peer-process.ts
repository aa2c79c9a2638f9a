/**
 * A server gpuaas is compared with (`peer-server.ts`: node:http, Apollo Server or PostGraphile),
 * started as a child of its own like the gpuaas processes under test, so its CPU is measured the
 * same way and the load generator's never counts in it. Its stderr goes to a log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { summarizeCpuProfile } from './cpu-profile.js';
import { raisedFileLimit } from './proc-stats.js';
import { childEnv, freePort, MeasuredProcess, ROOT } from './server-process.js';

export type PeerKind = 'node-http' | 'apollo' | 'postgraphile';

const ENTRY = path.join(ROOT, 'bench/peer-server.ts');
const READY_TIMEOUT_MS = 60_000;

export interface PeerOptions {
  /** Names the log file and the CPU profile. */
  name: string;
  kind: PeerKind;
  /** The database PostGraphile serves. */
  databaseUrl?: string;
  /** Folder for the log file and the CPU profile. */
  dir: string;
  /** Writes a V8 CPU profile (`node --cpu-prof`) into `dir` when the process exits. */
  cpuProfile: boolean;
}

export class PeerProcess extends MeasuredProcess {
  private constructor(name: string, url: string, logFile: string, private readonly profileDir: string | null, child: ChildProcess) {
    super(name, url, logFile, child);
  }

  /**
   * Starts the server and waits for its `ready` line. It runs from the TypeScript source through
   * the same loader as the bench (in the server's folder, for its tsconfig): compiled once when
   * loaded, so no request pays for it.
   */
  static async start(options: PeerOptions): Promise<PeerProcess> {
    const port = await freePort();
    const logFile = path.join(options.dir, `${options.name}.log`);
    const log = openSync(logFile, 'a');
    // The loader runs on a thread of its own, which writes a profile too: each gets Node's default
    // name (with its thread id) in a folder of the process's own, and the main thread's is read.
    const profileDir = path.join(options.dir, `${options.name}-cpuprofiles`);
    const profile = options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const [command, args] = raisedFileLimit(process.execPath, [
      ...profile, '--import', '@swc-node/register/esm-register', ENTRY, options.kind,
    ]);
    const child = spawn(command, args, {
      cwd: path.join(ROOT, 'server'),
      env: childEnv({
        NODE_ENV: 'production',
        PORT: String(port),
        ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
      }),
      stdio: ['ignore', 'pipe', log],
    });
    closeSync(log);
    const peer = new PeerProcess(
      options.name, `http://127.0.0.1:${port}`, logFile, options.cpuProfile ? profileDir : null, child,
    );
    await peer.waitUntilReady(
      new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('ready\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with code ${code} before it was ready`));
        });
      }),
    );
    // Nothing more is read from stdout; keep the pipe drained.
    child.stdout!.resume();
    return peer;
  }

  /** The summary of its CPU profile, once stopped (null without BENCH_PROFILE). */
  profileSummary(): string | null {
    if (this.profileDir === null || !existsSync(this.profileDir)) return null;
    // Node names a profile CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile; thread 0 is the main one.
    const main = readdirSync(this.profileDir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    return main === undefined ? null : summarizeCpuProfile(path.join(this.profileDir, main));
  }
}
