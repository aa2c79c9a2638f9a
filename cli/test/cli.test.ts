/**
 * The built `gpuaas` command, run as a child process against a real server (API, simulator and
 * a fresh database), as a person or a script would run it: login and the config file, every verb,
 * `--json` output, exit codes for each class of error, and live `watch`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TEST_PASSWORD, TestServer, type TestUser } from '../../server/test/harness.js';
import { dataOf, submitJob, waitUntil } from '../../server/test/factories.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'gpuaas.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `gpuaas`: its output so far, and its end. */
interface Running {
  stdout: () => string;
  done: Promise<Run>;
  kill: () => void;
}

/** Starts `gpuaas args…` with `env` over a clean environment (no colours asked for, a home of its own). */
function start(args: string[], env: Record<string, string>, input?: string): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: env.XDG_CONFIG_HOME ?? os.tmpdir(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? '');
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { stdout: () => stdout, done, kill: () => child.kill('SIGTERM') };
}

/** Runs `gpuaas args…` to its end. */
function run(args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return start(args, env, input).done;
}

/** Asserts nothing in the output looks like a stack trace. */
function expectNoStack(r: Run): void {
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/**
 * Runs `gpuaas args…` on a pseudo-terminal (util-linux `script`), so it sees a TTY: what a
 * person at a terminal gets. `input` is typed ahead.
 */
function startOnTerminal(args: string[], env: Record<string, string>, input = ''): Running {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: env.XDG_CONFIG_HOME ?? os.tmpdir(), TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { stdout: () => stdout, done, kill: () => child.kill('SIGTERM') };
}

/** Runs `gpuaas args…` on a pseudo-terminal to its end. */
function runOnTerminal(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  return startOnTerminal(args, env, input).done;
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('the gpuaas command', () => {
  let server: TestServer;
  let home: string;
  /** Environments of signed-in CLIs, each with its own config folder. */
  let asUser: Record<string, string>;
  let asAdmin: Record<string, string>;
  let user: TestUser;

  beforeAll(async () => {
    server = await TestServer.start(
      // Fast, always successful runs: a 1-hour job runs 1–2 seconds.
      { SIM_SECONDS_PER_HOUR: '2', SIM_TICK_MS: '200', SIM_SUCCESS_RATE: '1', SIM_SEED: '7', EVENT_POLL_MS: '100' },
      { role: 'all' },
    );
    home = await mkdtemp(path.join(os.tmpdir(), 'gpuaas-cli-test-'));
    user = await server.register('cli');
    asUser = { XDG_CONFIG_HOME: path.join(home, 'user') };
    asAdmin = { XDG_CONFIG_HOME: path.join(home, 'admin') };
    const logins = await Promise.all([
      run(['login', '--url', server.url, '--email', user.email, '--password-stdin'], asUser, `${TEST_PASSWORD}\n`),
      run(['login', '--url', server.url, '--email', ADMIN_EMAIL, '--password-stdin', '--name', 'admin laptop'], asAdmin, ADMIN_PASSWORD),
    ]);
    for (const login of logins) expect(login, login.stderr).toMatchObject({ code: 0 });
  });

  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  describe('help', () => {
    it('should print help and exit 0, for the program and every verb', async () => {
      const top = await run(['--help'], {});
      expect(top.code).toBe(0);
      const verbs = ['login', 'logout', 'submit', 'jobs', 'show', 'cancel', 'watch', 'quota', 'gpus', 'approve', 'reject', 'start', 'complete', 'fail'];
      for (const verb of verbs) expect(top.stdout).toContain(`  ${verb}`);
      const helps = await Promise.all([...verbs.map((v) => run([v, '--help'], {})), run(['quota', 'set', '--help'], {})]);
      helps.forEach((h, i) => {
        expect(h.code).toBe(0);
        expect(h.stdout).toMatch(new RegExp(`^Usage: gpuaas ${i < verbs.length ? verbs[i] : 'quota set'}`));
        expect(h.stdout).toContain('--json');
      });
    });

    it('should exit 2 on a usage error: an unknown verb or option, a missing or bad value', async () => {
      const runs = await Promise.all([
        run(['frobnicate'], asUser),
        run(['jobs', '--nope'], asUser),
        run(['submit', 'x', '--hours', '1'], asUser),
        run(['submit', 'x', '--gpus', 'two', '--hours', '1'], asUser),
        run(['submit', 'x', '--gpus', '1', '--hours', '-1'], asUser),
        run(['jobs', '--status', 'SLEEPING'], asUser),
        run(['quota', 'set', 'someone', 'lots'], asAdmin),
        run([], {}),
      ]);
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(2);
        expectNoStack(r);
      }
      expect(runs[3]!.stderr).toContain("argument 'two' is invalid");
    });
  });

  describe('login and logout', () => {
    it('should store a created API token in a 0600 file under XDG_CONFIG_HOME, and only its hash on the server', async () => {
      const file = path.join(asUser.XDG_CONFIG_HOME!, 'gpuaas', 'config.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
      const config = JSON.parse(await readFile(file, 'utf8')) as { url: string; token: string; tokenId: string; email: string };
      expect(config).toMatchObject({ url: server.url, email: user.email });
      expect(config.token).toMatch(/^gpa_/);
      expect(JSON.stringify(config)).not.toContain(TEST_PASSWORD);
      const { rows } = await server.db.query('select * from api_tokens where id = $1', [config.tokenId]);
      expect(rows[0].token_hash).toBe(createHash('sha256').update(config.token).digest('hex'));
      expect(rows[0].name).toBe(`gpuaas CLI on ${os.hostname()}`);
    });

    it('should refuse a wrong password with exit 1 and words, writing no config', async () => {
      const env = { XDG_CONFIG_HOME: path.join(home, 'wrong') };
      const r = await run(['login', '--url', server.url, '--email', user.email, '--password-stdin'], env, 'not the password');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error: not signed in: Invalid email or password');
      expectNoStack(r);
      await expect(stat(path.join(env.XDG_CONFIG_HOME, 'gpuaas', 'config.json'))).rejects.toThrow();
    });

    it('should refuse to ask for a password without a terminal (exit 2)', async () => {
      const r = await run(['login', '--url', server.url, '--email', user.email], { XDG_CONFIG_HOME: path.join(home, 'notty') });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--password-stdin');
    });

    it('should store a token given with --token after checking it, and use it', async () => {
      const other = await server.register('cli-token');
      const { createApiToken } = dataOf(
        await server.gql<{ createApiToken: { token: string } }>('mutation { createApiToken(name: "ci") { token } }', {}, other.token),
        'createApiToken',
      );
      const env = { XDG_CONFIG_HOME: path.join(home, 'token') };
      const login = await run(['login', '--url', server.url, '--token', createApiToken.token, '--json'], env);
      expect(login.code, login.stderr).toBe(0);
      expect(JSON.parse(login.stdout)).toMatchObject({ url: server.url, email: other.email });
      const quota = await run(['quota', '--json'], env);
      expect(JSON.parse(quota.stdout)).toMatchObject({ email: other.email, remainingGpuHours: 100 });
      const bad = await run(['login', '--url', server.url, '--token', 'gpa_not-a-real-token'], { XDG_CONFIG_HOME: path.join(home, 'bad') });
      expect(bad.code).toBe(1);
    });

    it('should revoke the stored token on logout and forget it', async () => {
      const env = { XDG_CONFIG_HOME: path.join(home, 'logout') };
      expect((await run(['login', '--url', server.url, '--email', user.email, '--password-stdin'], env, TEST_PASSWORD)).code).toBe(0);
      const { token } = JSON.parse(await readFile(path.join(env.XDG_CONFIG_HOME, 'gpuaas', 'config.json'), 'utf8')) as { token: string };
      const out = await run(['logout'], env);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('the API token was revoked');
      await expect(stat(path.join(env.XDG_CONFIG_HOME, 'gpuaas', 'config.json'))).rejects.toThrow();
      const after = await run(['jobs'], { ...env, GPUAAS_URL: server.url, GPUAAS_TOKEN: token });
      expect(after.code).toBe(1);
      expect(after.stderr).toContain('not signed in');
      expect((await run(['jobs'], env)).code).toBe(1);
    });
  });

  describe('jobs', () => {
    it('should submit, printing the id, the cost and the quota left, in text and JSON', async () => {
      const text = await run(['submit', 'llama-finetune', '--gpus', '2', '--type', 'H100', '--hours', '3'], asUser);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/Submitted job [0-9a-f-]{36} \(llama-finetune\): 2× H100 for 3 h, PENDING/);
      expect(text.stdout).toMatch(/Cost 6 GPU-hours; \d+ of 100 left for \d{4}-\d{2}/);
      const json = await run(['submit', 'resnet', '--gpus', '1', '--type', 'A100', '--hours', '1', '--json'], asUser);
      const parsed = JSON.parse(json.stdout) as { job: { id: string; status: string; gpuHours: number }; quota: { remainingGpuHours: number } };
      expect(parsed.job).toMatchObject({ status: 'PENDING', gpuHours: 1 });
      expect(parsed.quota.remainingGpuHours).toBeLessThanOrEqual(93);
    });

    it('should list jobs as a table and as JSON, filtered by status', async () => {
      const job = await submitJob(server, user, { name: 'listed-job' });
      const table = await run(['jobs'], asUser);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+GPUS\s+HOURS\s+PROGRESS\s+SUBMITTED$/);
      expect(table.stdout).toMatch(new RegExp(`${job.id}\\s+listed-job\\s+PENDING\\s+1× A100`));
      // No colour codes without a terminal.
      expect(table.stdout).not.toContain('\u001b[');
      const json = JSON.parse((await run(['jobs', '--json', '--status', 'PENDING'], asUser)).stdout) as { jobs: { id: string; status: string }[] };
      expect(json.jobs.some((j) => j.id === job.id)).toBe(true);
      expect(json.jobs.every((j) => j.status === 'PENDING')).toBe(true);
      const none = JSON.parse((await run(['jobs', '--json', '--status', 'RUNNING'], asUser)).stdout) as { jobs: unknown[] };
      expect(none.jobs).toEqual([]);
    });

    it("should show an admin their own jobs, and everyone's with --all", async () => {
      const job = await submitJob(server, user, { name: 'someone-elses' });
      const own = JSON.parse((await run(['jobs', '--json'], asAdmin)).stdout) as { jobs: { id: string }[] };
      expect(own.jobs.some((j) => j.id === job.id)).toBe(false);
      const all = await run(['jobs', '--all'], asAdmin);
      expect(all.stdout).toMatch(/OWNER/);
      expect(all.stdout).toContain(job.id);
      expect(all.stdout).toContain(user.email);
    });

    it('should show a job with its events, and exit 3 for an unknown one', async () => {
      const job = await submitJob(server, user, { name: 'shown-job' });
      const shown = await run(['show', job.id], asUser);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/status:\s+PENDING/);
      expect(shown.stdout).toMatch(/queue:\s+#\d+: /);
      expect(shown.stdout).toMatch(/PENDING \(submitted\)\s+\S+@example\.org/);
      const json = JSON.parse((await run(['show', job.id, '--json'], asUser)).stdout) as { id: string; events: unknown[] };
      expect(json.id).toBe(job.id);
      expect(json.events).toHaveLength(1);
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
        const missing = await run(['show', id], asUser);
        expect(missing.code).toBe(3);
        expect(missing.stderr).toMatch(/^error: not found: /);
        expectNoStack(missing);
      }
      const missingJson = await run(['show', 'not-an-id', '--json'], asUser);
      expect(JSON.parse(missingJson.stderr)).toMatchObject({ error: { code: 'NOT_FOUND', exitCode: 3 } });
    });

    it('should cancel a job, and exit 1 when it cannot be cancelled any more', async () => {
      const job = await submitJob(server, user, { name: 'cancelled-job' });
      const first = await run(['cancel', job.id], asUser);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('CANCELLED; fully refunded');
      const again = await run(['cancel', job.id, '--json'], asUser);
      expect(again.code).toBe(1);
      expect(JSON.parse(again.stderr).error.code).toBe('INVALID_TRANSITION');
    });

    it('should exit 4 over quota and 2 for input the server refuses', async () => {
      const over = await run(['submit', 'too-big', '--gpus', '8', '--type', 'A100', '--hours', '72'], asUser);
      expect(over.code).toBe(4);
      expect(over.stderr).toMatch(/^error: quota exceeded: /);
      expect(over.stderr).toContain('hint: see `gpuaas quota`');
      const badType = await run(['submit', 'x', '--gpus', '1', '--type', 'TPU', '--hours', '1'], asUser);
      expect(badType.code).toBe(2);
      expect(badType.stderr).toMatch(/^error: invalid input: /);
    });

    it('should print the quota and the GPU pools', async () => {
      const quota = JSON.parse((await run(['quota', '--json'], asUser)).stdout) as { limitGpuHours: number; month: string };
      expect(quota.limitGpuHours).toBe(100);
      expect((await run(['quota'], asUser)).stdout).toMatch(/remaining:\s+\d+ GPU-hours/);
      const gpus = await run(['gpus'], asUser);
      expect(gpus.stdout).toMatch(/^TYPE\s+NODES\s+GPUS\s+FREE/);
      expect(gpus.stdout).toMatch(/H100\s+1\s+8\s+/);
      const pools = JSON.parse((await run(['gpus', '--json'], asUser)).stdout) as { gpuType: string }[];
      expect(pools.map((p) => p.gpuType).sort()).toEqual(['A100', 'H100', 'L40S']);
    });

    it('should use GPUAAS_URL and GPUAAS_TOKEN without any config file', async () => {
      const { token } = JSON.parse(await readFile(path.join(asUser.XDG_CONFIG_HOME!, 'gpuaas', 'config.json'), 'utf8')) as { token: string };
      const env = { XDG_CONFIG_HOME: path.join(home, 'none'), GPUAAS_URL: server.url, GPUAAS_TOKEN: token };
      const r = await run(['quota', '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).email).toBe(user.email);
      const nothing = await run(['quota'], { XDG_CONFIG_HOME: path.join(home, 'none') });
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toContain('hint: run `gpuaas login`, or set GPUAAS_TOKEN');
    });

    it('should exit 1 with words when the server cannot be reached', async () => {
      const r = await run(['jobs'], { GPUAAS_URL: 'http://127.0.0.1:9', GPUAAS_TOKEN: 'gpa_x' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error: cannot reach http://127.0.0.1:9');
      expectNoStack(r);
    });
  });

  describe('admin verbs', () => {
    it('should approve, start on a named node and complete a job', async () => {
      const job = await submitJob(server, user, { name: 'admin-flow', gpuType: 'A100', gpuCount: 2, hours: 5 });
      expect((await run(['approve', job.id], asAdmin)).stdout).toContain('APPROVED');
      const started = await run(['start', job.id, '--node', 'a100-2'], asAdmin);
      expect(started.code, started.stderr).toBe(0);
      expect(started.stdout).toMatch(/RUNNING on a100-2 \(GPUs \d+,\d+\)/);
      const completed = JSON.parse((await run(['complete', job.id, '--json'], asAdmin)).stdout) as { status: string; chargedGpuHours: number };
      expect(completed.status).toBe('COMPLETED');
      expect(completed.chargedGpuHours).toBeGreaterThanOrEqual(0);
    });

    it('should reject and fail with reasons the owner sees', async () => {
      const a = await submitJob(server, user, { name: 'to-reject' });
      const rejected = await run(['reject', a.id, '--reason', 'Use the L40S queue'], asAdmin);
      expect(rejected.stdout).toContain('REJECTED');
      expect((await run(['show', a.id], asUser)).stdout).toContain('REJECTED (Use the L40S queue)');
      const b = await submitJob(server, user, { name: 'to-fail', hours: 5 });
      await run(['approve', b.id], asAdmin);
      await run(['start', b.id], asAdmin);
      const failed = await run(['fail', b.id, '--reason', 'Node drained', '--json'], asAdmin);
      expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'FAILED', statusReason: 'Node drained' });
    });

    it('should exit 4 when no node has the GPUs, and 3 for an unknown node', async () => {
      const big = await submitJob(server, user, { name: 'fills-h100', gpuType: 'H100', gpuCount: 8, hours: 1 });
      const small = await submitJob(server, user, { name: 'no-room', gpuType: 'H100', gpuCount: 1, hours: 1 });
      await run(['approve', big.id], asAdmin);
      await run(['approve', small.id], asAdmin);
      expect((await run(['start', small.id, '--node', 'no-such-node'], asAdmin)).code).toBe(3);
      // The big one holds every H100 until the admin ends it; the simulator would end it in seconds.
      expect((await run(['start', big.id], asAdmin)).code).toBe(0);
      const full = await run(['start', small.id], asAdmin);
      if (full.code === 0) return; // the simulator finished the big job first: nothing left to show
      expect(full.code).toBe(4);
      expect(full.stderr).toMatch(/^error: not enough free GPUs: /);
    });

    it("should set a user's quota by email, and refuse admin verbs to a user (exit 1)", async () => {
      const other = await server.register('cli-quota');
      const set = await run(['quota', 'set', other.email, '250'], asAdmin);
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toContain(`${other.email}: 250 GPU-hours a month`);
      expect((await run(['quota', 'set', 'nobody@example.org', '5'], asAdmin)).code).toBe(3);
      const job = await submitJob(server, user, { name: 'not-yours-to-approve' });
      const refused = await run(['approve', job.id], asUser);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: not allowed: /);
    });
  });

  describe.runIf(hasScript)('on a terminal', () => {
    it('should ask for the server, email and password, and sign in', async () => {
      const env = { XDG_CONFIG_HOME: path.join(home, 'tty') };
      const r = await runOnTerminal(['login'], env, `${server.url}\n${user.email}\n${TEST_PASSWORD}\n`);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain('Server URL [http://localhost:8000]: ');
      expect(r.stdout).toContain('Email: ');
      expect(r.stdout).toContain('Password: ');
      expect(r.stdout).toContain(`Signed in to ${server.url} as ${user.email}`);
      const config = JSON.parse(await readFile(path.join(env.XDG_CONFIG_HOME, 'gpuaas', 'config.json'), 'utf8')) as { token: string };
      expect(config.token).toMatch(/^gpa_/);
    });

    it('should colour statuses and errors on a terminal, and not with NO_COLOR', async () => {
      await submitJob(server, user, { name: 'coloured' });
      const coloured = await runOnTerminal(['jobs'], asUser);
      expect(coloured.code).toBe(0);
      expect(coloured.stdout).toContain('\u001b[33mPENDING\u001b[0m');
      const plain = await runOnTerminal(['jobs'], { ...asUser, NO_COLOR: '1' });
      expect(plain.stdout).toContain('PENDING');
      expect(plain.stdout).not.toContain('\u001b[');
      const failed = await runOnTerminal(['show', 'not-an-id'], asUser);
      expect(failed.code).toBe(3);
      expect(failed.stdout).toContain('\u001b[31merror:\u001b[0m not found');
    });

    it('should redraw a watched job in place until it ends', async () => {
      const job = await submitJob(server, user, { name: 'redrawn' });
      const watching = startOnTerminal(['watch', job.id], asUser);
      await waitUntil(() => watching.stdout().includes('redrawn'), { what: 'watch to draw the job' });
      await server.gql('mutation ($id: ID!) { cancelJob(id: $id) { id } }', { id: job.id }, user.token);
      const r = await watching.done;
      expect(r.code).toBe(1);
      // Each state replaces the line before: clear the line, draw it, and move back up for the next.
      expect(r.stdout).toContain('\u001b[2K');
      expect(r.stdout).toContain('\u001b[1A');
      expect(r.stdout).toMatch(/redrawn\s+\S*CANCELLED/);
    });
  });

  describe('live', () => {
    it('should watch a job through RUNNING to its end, and exit 0 when it completed', async () => {
      const job = await submitJob(server, user, { name: 'watched', hours: 1 });
      const watching = start(['watch', job.id, '--json'], asUser);
      await waitUntil(() => watching.stdout().includes('"PENDING"'), { what: 'watch to print the job' });
      await run(['approve', job.id], asAdmin);
      await run(['start', job.id], asAdmin);
      const r = await watching.done;
      expect(r.code, r.stderr).toBe(0);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; progress: number });
      const statuses = events.map((e) => e.status);
      expect(statuses).toContain('RUNNING');
      expect(statuses.at(-1)).toBe('COMPLETED');
      expect(events.at(-1)!.progress).toBe(100);
    });

    it('should print a line per change without a terminal, and follow all own jobs without an ID', async () => {
      const other = await server.register('cli-watch');
      const env = { XDG_CONFIG_HOME: path.join(home, 'watch-all') };
      expect((await run(['login', '--url', server.url, '--email', other.email, '--password-stdin'], env, TEST_PASSWORD)).code).toBe(0);
      const none = await run(['watch'], env);
      expect(none).toMatchObject({ code: 0 });
      expect(none.stdout).toContain('No jobs to watch');
      const [a, b] = [await submitJob(server, other, { name: 'all-a', hours: 1 }), await submitJob(server, other, { name: 'all-b', hours: 1 })];
      const watching = start(['watch'], env);
      await waitUntil(() => watching.stdout().includes('all-b'), { what: 'watch to list the jobs' });
      for (const id of [a.id, b.id]) {
        await run(['approve', id], asAdmin);
        await run(['start', id], asAdmin);
      }
      const r = await watching.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/all-a\s+RUNNING/);
      expect(r.stdout).toMatch(/all-a\s+COMPLETED/);
      expect(r.stdout).toMatch(/all-b\s+COMPLETED/);
      expect(r.stdout).toContain('[####################] 100%');
    });

    it('should stream a submission and its changes as JSON lines with --wait --json', async () => {
      const submitting = start(['submit', 'waited-json', '--gpus', '1', '--type', 'L40S', '--hours', '1', '--wait', '--json'], asUser);
      const id = await waitUntil(() => /"id":"([0-9a-f-]{36})"/.exec(submitting.stdout())?.[1], { what: 'the submission' });
      await run(['approve', id], asAdmin);
      await run(['start', id], asAdmin);
      const r = await submitting.done;
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      expect(lines[0]).toMatchObject({ job: { id, status: 'PENDING' }, quota: { month: expect.any(String) } });
      expect(lines.at(-1)).toMatchObject({ id, status: 'COMPLETED', progress: 100 });
    });

    it('should follow a submission with --wait to its end', async () => {
      const submitting = start(['submit', 'waited', '--gpus', '1', '--type', 'L40S', '--hours', '1', '--wait'], asUser);
      const id = await waitUntil(() => /Submitted job ([0-9a-f-]{36})/.exec(submitting.stdout())?.[1], { what: 'the submission' });
      await run(['approve', id], asAdmin);
      await run(['start', id], asAdmin);
      const r = await submitting.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/waited\s+COMPLETED/);
    });

    it('should stop with exit 1 when the job is cancelled while watched', async () => {
      const job = await submitJob(server, user, { name: 'cancelled-while-watched' });
      const watching = start(['watch', job.id], asUser);
      await waitUntil(() => watching.stdout().includes('cancelled-while-watched'), { what: 'watch to print the job' });
      await run(['cancel', job.id], asUser);
      const r = await watching.done;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/ended CANCELLED/);
    });
  });
});
