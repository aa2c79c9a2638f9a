/**
 * Scenario 1, Submit: `createJob` over HTTP with valid tokens at 1, 8 and 32 concurrent clients
 * (each its own user, so quota rows are not contended), against the same SQL the server issues
 * for it, sent directly with `pg` at the same concurrency: the raw limit.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { CommitNotifier } from '../server/src/events/commit-notifier.js';
import { NOTIFY_SQL } from '../server/src/events/job-event.queries.js';
import { createLogger } from '../server/src/logger.js';
import { prepared } from '../server/src/db/sql.js';
import { SUBMIT_SQL, submitValues } from '../server/src/modules/jobs/job.queries.js';
import { monthOf } from '../server/src/modules/quotas/quota-math.js';
import type { UserRecord } from '../server/src/modules/users/user.queries.js';
import { Role } from '../server/src/modules/users/user.entity.js';
import { closedLoop } from './closed-loop.js';
import { createScenarioDatabase, type ScenarioDatabase } from './database.js';
import { CREATE_JOB, GraphQLHttpClient } from './graphql-client.js';
import { fig, num, pct, ratio, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Cells, clientsLabel, cpuFinding, Servers, type ScenarioContext } from './scenario.js';
import { insertUsers, SEEDED_LIMIT_GPU_HOURS, seedUsers, type SeededUser } from './seed.js';
import type { ServerProcess } from './server-process.js';

const JOB_INPUT = { name: 'bench-submit', gpuType: 'A100', gpuCount: 1, hours: 1 };

/**
 * One submission as raw SQL: the statements the server sends for `createJob`, their very texts
 * imported from the server and, as there, sent as named prepared statements: the submission's
 * single statement (reservation, job and CREATED event; no BEGIN or COMMIT needed). The token
 * check's user lookup is left out, as the server leaves it out once the token's user is cached. With `events`, the commit is announced through the server's own
 * coalescing CommitNotifier; without, the event row is still written (it is the job's history)
 * but nothing is announced.
 */
async function rawSubmit(pool: pg.Pool, user: UserRecord, notifier: CommitNotifier | null): Promise<void> {
  const createdAt = new Date();
  const { rowCount } = await pool.query(prepared(SUBMIT_SQL, submitValues({
    ...JOB_INPUT, id: randomUUID(), owner: user, gpuHours: JOB_INPUT.gpuCount * JOB_INPUT.hours, billingWeight: 1,
    quotaMonth: monthOf(createdAt), createdAt, monthlyLimit: SEEDED_LIMIT_GPU_HOURS,
  })));
  if (rowCount !== 1) throw new Error('quota exceeded');
  notifier?.committed();
}

type Path = 'http-on' | 'http-off' | 'http-cluster' | 'http-floor' | 'raw-on' | 'raw-off';
/**
 * The cheapest authenticated operation: what every request pays for HTTP, Apollo and the token
 * check (a signature and a cache lookup), before any work of its own.
 */
const FLOOR_QUERY = 'query Floor { gpuTypes }';

/** API processes of the cluster cells: one per core (API_PROCESSES=auto). */
const CORES = os.availableParallelism();
const PATH_LABEL: Record<Path, string> = {
  'http-on': 'HTTP, events on',
  'http-off': 'HTTP, events off',
  'http-cluster': `HTTP, events on, ${CORES} API processes`,
  'http-floor': 'HTTP, `{ gpuTypes }` (the request floor)',
  'raw-on': 'raw SQL, events on',
  'raw-off': 'raw SQL, events off',
};

export async function runSubmit(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { clients: levels, warmupMs, durationMs } = settings.submit;
  const started = performance.now();
  const db = await createScenarioDatabase(ctx.database, 'submit');
  // The raw SQL runs on a twin database: no API process LISTENs there, so its NOTIFYs wake no
  // relay, and the raw limit is the database's alone.
  const rawDb = await createScenarioDatabase(ctx.database, 'submit_raw');
  const offDb = await createScenarioDatabase(ctx.database, 'submit_off');
  let clusterDb: ScenarioDatabase | undefined;
  const servers = new Servers(ctx);
  try {
    const users: SeededUser[] = await seedUsers(db.pool, ctx.jwtSecret, { count: Math.max(...levels), role: 'USER', prefix: 'submit' });
    await insertUsers(rawDb.pool, users.map((u) => u.id), 'USER', 'submit');
    const records: UserRecord[] = users.map((u) => ({ id: u.id, email: `${u.id}@bench`, role: Role.USER, monthlyGpuHoursLimit: null, createdAt: new Date() }));
    const api = await servers.start('submit-api', 'api', db.url);
    // Without its event path, the API runs on a twin database too: the relay of the one with
    // events would otherwise read what it writes.
    await insertUsers(offDb.pool, users.map((u) => u.id), 'USER', 'submit');
    const apiOff = await servers.start('submit-api-events-off', 'api', offDb.url, { EVENTS_ENABLED: 'false' });
    // One API process per core (what API_PROCESSES=auto starts), on a twin database of its own too.
    let apiCluster: ServerProcess | undefined;
    if (CORES > 1) {
      clusterDb = await createScenarioDatabase(ctx.database, 'submit_cluster');
      await insertUsers(clusterDb.pool, users.map((u) => u.id), 'USER', 'submit');
      apiCluster = await servers.start('submit-api-cluster', 'api', clusterDb.url, { API_PROCESSES: String(CORES) });
    }
    const paths: Path[] = [
      'http-on', 'http-off', ...(apiCluster ? ['http-cluster' as const] : []), 'http-floor', 'raw-on', 'raw-off',
    ];

    const cells = new Cells();
    // Runs are interleaved (every cell once, then again) so drift on the machine hits all alike.
    for (let run = 0; run < settings.runs; run++) {
      for (const clients of levels) {
        for (const path of paths) {
          const key = `${path}:${clients}`;
          if (path.startsWith('http')) {
            const server = path === 'http-on' || path === 'http-floor' ? api : path === 'http-off' ? apiOff : apiCluster!;
            const http = new GraphQLHttpClient(server.url, clients);
            cells.add(key, await closedLoop({
              clients, warmupMs, durationMs, watchPids: [server.pid],
              op: path === 'http-floor'
                ? (c) => http.request(FLOOR_QUERY, {}, users[c]!.token)
                : (c) => http.request(CREATE_JOB, { input: JOB_INPUT }, users[c]!.token),
            }));
            http.close();
          } else {
            const pool = new pg.Pool({ connectionString: rawDb.url, max: clients });
            const notifier = path === 'raw-on'
              ? new CommitNotifier((channel, payload = '') => pool.query(prepared(NOTIFY_SQL, [channel, payload])), createLogger('silent'))
              : null;
            cells.add(key, await closedLoop({ clients, warmupMs, durationMs, op: (c) => rawSubmit(pool, records[c]!, notifier) }));
            await pool.end();
          }
        }
      }
    }

    const table: Table = {
      title: 'createJob: throughput and latency by path and concurrency',
      columns: ['clients', 'path', 'createJob/s', 'p50 ms', 'p99 ms', 'API CPU (cores)', 'machine CPU busy', 'errors'],
      rows: levels.flatMap((clients) =>
        paths.map((path) => {
          const c = cells.get(`${path}:${clients}`);
          return [
            String(clients), PATH_LABEL[path], fig(c.opsPerSecond), fig(c.p50Ms, 1), fig(c.p99Ms, 1),
            path.startsWith('http') ? fig(c.serverCpu, 2) : '–', pct(c.machineCpu.median, 0), String(c.errors),
          ];
        }),
      ),
    };

    const targets: TargetCheck[] = [];
    const findings: string[] = [];
    const summary: Table = {
      title: 'createJob: HTTP against the raw limit, and the cost of the event path',
      columns: ['clients', 'HTTP/s', 'raw/s', 'HTTP ÷ raw', 'target', 'event path cost, HTTP', 'event path cost, raw', 'target', `${CORES} API processes ÷ raw`],
      rows: [],
    };
    for (const clients of levels) {
      const httpOn = cells.get(`http-on:${clients}`).opsPerSecond.median;
      const rawOn = cells.get(`raw-on:${clients}`).opsPerSecond.median;
      const rawOff = cells.get(`raw-off:${clients}`).opsPerSecond.median;
      const httpOff = cells.get(`http-off:${clients}`).opsPerSecond.median;
      const share = httpOn / rawOn;
      const httpCost = 1 - httpOn / httpOff;
      const rawCost = 1 - rawOn / rawOff;
      const gated = clients >= 8;
      summary.rows.push([
        String(clients), num(httpOn), num(rawOn), ratio(share), gated ? '≥ 0.50×' : '–',
        pct(httpCost), pct(rawCost), '≤ 10 %',
        cells.has(`http-cluster:${clients}`) ? `${ratio(cells.get(`http-cluster:${clients}`).opsPerSecond.median / rawOn)} (${num(cells.get(`http-cluster:${clients}`).opsPerSecond.median)}/s)` : '–',
      ]);
      if (gated) {
        targets.push({ target: `Submit at ${clientsLabel(clients)} ≥ 0.5 × raw`, measured: `${ratio(share)} (${num(httpOn)}/s vs ${num(rawOn)}/s)`, met: share >= 0.5 });
      }
      targets.push({
        target: `Submit at ${clientsLabel(clients)}: the event path costs ≤ 10 %`,
        measured: `HTTP ${pct(httpCost)}; raw SQL ${pct(rawCost)}`,
        met: httpCost <= 0.1,
      });
      findings.push(cpuFinding(`HTTP at ${clientsLabel(clients)}`, cells.get(`http-on:${clients}`)));
      {
        const floor = cells.get(`http-floor:${clients}`);
        const on = cells.get(`http-on:${clients}`);
        const perOp = (c: typeof on) => (c.serverCpu.median / c.opsPerSecond.median) * 1000;
        findings.push(
          `The request floor at ${clientsLabel(clients)}: an authenticated \`{ gpuTypes }\` costs ${num(perOp(floor), 2)} ms of API CPU (${num(floor.opsPerSecond.median)}/s), ` +
            `so of a createJob's ${num(perOp(on), 2)} ms, ${num(Math.max(0, perOp(on) - perOp(floor)), 2)} ms are the submission itself and the rest is what every request pays.`,
        );
      }
      if (cells.has(`http-cluster:${clients}`)) {
        const c = cells.get(`http-cluster:${clients}`);
        findings.push(
          `${CORES} API processes at ${clientsLabel(clients)}: ${num(c.opsPerSecond.median)}/s using ${num(c.serverCpu.median, 2)} cores for the API, ` +
            `${Number.isNaN(c.postgresCpu.median) ? '' : `${num(c.postgresCpu.median, 2)} for PostgreSQL, `}${num(c.loadCpu.median, 2)} for the load generator (${pct(c.machineCpu.median, 0)} of the machine busy).`,
        );
      }
      const raw = cells.get(`raw-on:${clients}`);
      findings.push(
        `Raw SQL at ${clientsLabel(clients)}, for comparison: the \`pg\` client spent ${num((raw.loadCpu.median / raw.opsPerSecond.median) * 1000, 2)} ms of CPU per submission` +
          (Number.isNaN(raw.postgresCpu.median) ? '' : ` and PostgreSQL ${num((raw.postgresCpu.median / raw.opsPerSecond.median) * 1000, 2)} ms`) + '.',
      );
    }
    for (const path of paths) {
      for (const clients of levels) {
        const c = cells.get(`${path}:${clients}`);
        if (c.errors > 0) findings.push(`${PATH_LABEL[path]} at ${clientsLabel(clients)} had ${c.errors} errors, first: ${c.firstError}`);
      }
    }
    return {
      title: '1. Submit',
      method: [
        `Closed loop: each client sends its next \`createJob\` (the web app's mutation and selection) as soon as the previous answered; ${warmupMs} ms warm-up, then ${durationMs} ms measured.`,
        'Every client is its own user with a valid token (users and tokens seeded directly; tokens signed by the server\'s TokenService), so no quota row is shared.',
        'The API runs as its own process (`server/dist`, `--role api`, NODE_ENV=production, LOG_LEVEL=info, log to a file); the load generator runs in the bench process.',
        '"The request floor": `{ gpuTypes }` with a token on the same server: HTTP, the GraphQL path (the fast path once the document is validated), the token check and the log line, with no work of its own.',
        `"${CORES} API processes": the same server with API_PROCESSES=${CORES} (one per core, as \`auto\` starts), on a twin database; its CPU counts every process of the group.`,
        'Raw limit: the same statements the server sends for one `createJob`, their texts imported from the server (the submission\'s one statement, the token check\'s user lookup left out as the server skips it once the user is cached: the quota reservation, the job INSERT and the CREATED event INSERT as data-modifying CTEs), issued with `pg` on a pool of as many connections as clients. "Events on" adds the post-commit NOTIFY through the server\'s own coalescing CommitNotifier; "events off" leaves it out.',
        'The event path: the NOTIFY after each commit and the relay that reads new events in every API process. The job_events row itself is the job\'s history and is written either way. "HTTP, events off" is a second API process started with EVENTS_ENABLED=false, on a twin database.',
      ],
      tables: [table, summary],
      targets,
      findings,
      evidence: await servers.stopAll(),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await servers.stopAll();
    await db.drop();
    await rawDb.drop();
    await offDb.drop();
    await clusterDb?.drop();
  }
}
