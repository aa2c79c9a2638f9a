/**
 * API_PROCESSES (cluster.ts): one `--role all` command runs two API processes behind one port.
 * Both answer requests, only the first runs the simulator, /metrics sums the processes without
 * doubling the database's job counts, a process that dies is replaced, and SIGTERM stops them
 * all with exit code 0.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { RUN_OUTCOMES, mustTransition, submitJob, waitUntil } from '../factories.js';
import { ChildServer, stopAllChildren, type LogLine } from './child-process.js';

/** A POST on a connection of its own, so the kernel hands each one to the next process. */
function freshConnectionRequest(baseUrl: string, body: string): Promise<number> {
  const url = new URL('/graphql', baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const startedLines = (server: ChildServer): LogLine[] => server.logs.filter((l) => l.msg === 'gpuaas started');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('API_PROCESSES=2', () => {
  let server: TestServer;
  let cluster: ChildServer;
  let admin: TestUser;

  beforeAll(async () => {
    // The in-process API creates the database, applies migrations and creates the admin.
    ({ server, admin } = await TestServer.startWithAdmin());
    cluster = await ChildServer.start(
      'all',
      { DATABASE_URL: server.databaseUrl, API_PROCESSES: '2', SIM_SECONDS_PER_HOUR: '1', SIM_TICK_MS: '100', SIM_SEED: 'cluster' },
      'cluster',
    );
    await waitUntil(() => startedLines(cluster).length >= 2, { what: 'both API processes to start', timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should serve one port from two processes, only the first of which runs the simulator', () => {
    const started = startedLines(cluster);
    expect(new Set(started.map((l) => l.pid)).size).toBe(2);
    expect(new Set(started.map((l) => l.url)).size).toBe(1);
    expect(started.map((l) => l.process).sort()).toEqual([0, 1]);
    expect(started.find((l) => l.process === 0)!.role).toBe('all');
    expect(started.find((l) => l.process === 1)!.role).toBe('api');
    expect(cluster.logs.filter((l) => l.msg === 'Simulation worker started')).toHaveLength(1);
    expect(started.every((l) => l.pid !== cluster.pid)).toBe(true);
  });

  it('should answer requests from both processes', async () => {
    const body = JSON.stringify({ query: '{ gpuTypes }' });
    const statuses = await Promise.all(Array.from({ length: 12 }, () => freshConnectionRequest(cluster.url, body)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const answeredBy = await waitUntil(
      () => {
        const pids = new Set(cluster.logs.filter((l) => l.msg === 'HTTP request' && l.path === '/graphql').map((l) => l.pid));
        return pids.size === 2 && pids;
      },
      { what: 'request log lines from both processes', timeoutMs: 5000 },
    );
    expect([...answeredBy].sort()).toEqual(startedLines(cluster).map((l) => l.pid).sort());
  });

  it('should run a job submitted through either process to the end, and count it once in /metrics', async () => {
    const user = await server.register('cluster');
    const job = await submitJob(cluster, user, { name: 'c' });
    const metrics = await (await fetch(`${cluster.url}/metrics`)).text();
    const pendingInDb = Number((await server.db.query("select count(*) from jobs where status = 'PENDING'")).rows[0]!.count);
    expect(metrics).toContain(`gpuaas_jobs{status="PENDING"} ${pendingInDb}`);
    // Histograms of both processes are summed: the request count covers what either answered.
    expect(metrics).toMatch(/gpuaas_graphql_operation_duration_seconds_count\{[^}]*\} \d+/);

    await mustTransition(cluster, 'approve', job.id, admin.token);
    await mustTransition(cluster, 'start', job.id, admin.token);
    const status = await waitUntil(
      async () => {
        const row = (await server.db.query<{ status: string }>('select status from jobs where id = $1', [job.id])).rows[0]!;
        return RUN_OUTCOMES.includes(row.status) && row.status;
      },
      { what: 'the simulator to finish the job', timeoutMs: 20_000 },
    );
    expect(RUN_OUTCOMES).toContain(status);
  });

  it('should replace an API process that dies', async () => {
    const victim = startedLines(cluster).find((l) => l.process === 1)!;
    process.kill(Number(victim.pid), 'SIGKILL');
    await cluster.waitForLog((l) => l.msg === 'An API process exited; starting another' && l.index === 1, 10_000);
    const replacement = await cluster.waitForLog((l) => l.msg === 'gpuaas started' && l.process === 1 && l.pid !== victim.pid, 30_000);
    expect(isAlive(Number(replacement.pid))).toBe(true);
    const res = await cluster.gql<{ gpuTypes: string[] }>('{ gpuTypes }');
    expect(res.data?.gpuTypes.length).toBeGreaterThan(0);
  });

  it('should stop every process on SIGTERM and exit 0', async () => {
    const pids = [...new Set(startedLines(cluster).map((l) => Number(l.pid)))].filter(isAlive);
    expect(pids).toHaveLength(2);
    cluster.kill('SIGTERM');
    expect(await cluster.waitForExit(15_000)).toEqual({ code: 0, signal: null });
    await waitUntil(() => pids.every((pid) => !isAlive(pid)), { what: 'the API processes to exit', timeoutMs: 5000 });
  });
});
