/**
 * The real process refuses a configuration it cannot use: it exits non-zero at once, before it
 * starts anything (no embedded PostgreSQL, no listener), with one line on stderr that names the
 * variable and never echoes a credential.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The server package's folder: the child's cwd (swc reads tsconfig.json from there). */
const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Long enough for node and the TypeScript loader to start; a database start would not fit. */
const EXIT_WITHIN_MS = 15_000;

/** Variables of the test's own environment that would change what the process is told. */
const CONFIG_VARIABLES = [
  'NODE_ENV', 'PORT', 'DATABASE_URL', 'DATA_DIR', 'JWT_SECRET', 'JWT_TTL', 'BCRYPT_COST', 'ADMIN_EMAIL',
  'ADMIN_PASSWORD', 'DEFAULT_MONTHLY_GPU_HOURS', 'GPU_TYPES', 'GPU_INVENTORY', 'MAX_GPU_COUNT', 'MAX_HOURS',
  'SIM_SECONDS_PER_HOUR', 'SIM_SUCCESS_RATE', 'SIM_TICK_MS', 'SIM_SEED', 'WORKER_LEASE_MS',
  'WORKER_CLAIM_BATCH', 'EVENT_POLL_MS', 'LOG_LEVEL', 'WEB_DIST', 'GPU_BILLING_WEIGHTS',
];

interface Refusal {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('the process entry with a bad configuration', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'gpuaas-refusal-')), 'data');
  });
  afterAll(async () => {
    await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  /** Runs `src/main.ts` with only `env` set among the configuration variables. */
  function run(env: Record<string, string>, args: string[] = []): Promise<Refusal> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.includes(name)));
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts', ...args], {
      cwd: SERVER_DIR,
      // A data folder of the test's own: if the process did start an embedded database, it would show there.
      env: { ...base, PORT: '0', DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`still running after ${EXIT_WITHIN_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, EXIT_WITHIN_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // Let the pipes drain before reading them.
        setImmediate(() => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
      });
    });
  }

  /** Asserts a refusal: exit status 2, nothing started, one `gpuaas: …` line naming `variable`. */
  function expectRefusal(result: Refusal, variable: string): string {
    expect(result.signal).toBeNull();
    // main.ts exits 2 for a configuration it refuses, and 1 when a valid one fails to start.
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^gpuaas: /);
    expect(lines[0]).toContain(variable);
    // Nothing was logged (the logger is made after the configuration is read) and nothing started.
    expect(result.stdout).toBe('');
    expect(existsSync(dataDir), 'an embedded PostgreSQL was started').toBe(false);
    return lines[0]!;
  }

  it('should refuse NODE_ENV=production without JWT_SECRET', async () => {
    expectRefusal(await run({ NODE_ENV: 'production' }), 'JWT_SECRET');
  });

  it('should refuse a DATABASE_URL that is not a URL', async () => {
    expectRefusal(await run({ DATABASE_URL: 'not-a-url' }), 'DATABASE_URL');
  });

  it('should refuse a DATABASE_URL of another database without echoing its password', async () => {
    const line = expectRefusal(await run({ DATABASE_URL: 'mysql://u:secret@h/db' }), 'DATABASE_URL');
    expect(line).not.toContain('secret');
  });

  it('should refuse an unparseable DATABASE_URL without echoing its password', async () => {
    const line = expectRefusal(await run({ DATABASE_URL: 'postgres://u:secret@h:port/db' }), 'DATABASE_URL');
    expect(line).not.toContain('secret');
  });

  it('should refuse a PORT that is not a number', async () => {
    expectRefusal(await run({ PORT: 'abc' }), 'PORT');
  });

  it('should refuse an unknown LOG_LEVEL', async () => {
    expectRefusal(await run({ LOG_LEVEL: 'loud' }), 'LOG_LEVEL');
  });

  it('should refuse a SIM_SUCCESS_RATE above 1', async () => {
    expectRefusal(await run({ SIM_SUCCESS_RATE: '2' }), 'SIM_SUCCESS_RATE');
  });

  it('should refuse GPU_TYPES, which GPU_INVENTORY replaced, saying to use GPU_INVENTORY', async () => {
    const line = expectRefusal(await run({ GPU_TYPES: 'A100,H100' }), 'GPU_TYPES');
    expect(line).toContain('GPU_INVENTORY');
  });

  it('should refuse a GPU_INVENTORY that is not a list of TYPE:NODESxGPUS', async () => {
    // 65 GPUs on one node: more than a node may have.
    expectRefusal(await run({ GPU_INVENTORY: 'A100:2x65' }), 'GPU_INVENTORY');
  });

  it('should refuse GPU_BILLING_WEIGHTS that are not TYPE:WEIGHT pairs', async () => {
    expectRefusal(await run({ GPU_BILLING_WEIGHTS: 'H100=2' }), 'GPU_BILLING_WEIGHTS');
  });

  it('should refuse a billing weight of zero', async () => {
    expectRefusal(await run({ GPU_BILLING_WEIGHTS: 'H100:2,L40S:0' }), 'GPU_BILLING_WEIGHTS');
  });

  it('should refuse an unknown --role', async () => {
    expectRefusal(await run({}, ['--role', 'banana']), '--role');
  });
});
