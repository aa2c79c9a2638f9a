/**
 * The peer cell: gpuaas against PostGraphile 4 on the same tables. Three databases, each migrated
 * by gpuaas's migrator and seeded alike (the same owners and job history): one served by a gpuaas
 * API process, one by a PostGraphile process, one for the raw SQL. Each is asked for one owner's
 * first page of jobs (with totalCount and the owner's id and email) and to submit a job, by the
 * same closed-loop load generator, in interleaved runs.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { loadConfig } from '../server/src/config.js';
import { CommitNotifier } from '../server/src/events/commit-notifier.js';
import { NOTIFY_SQL } from '../server/src/events/job-event.queries.js';
import { createLogger } from '../server/src/logger.js';
import { prepared } from '../server/src/db/sql.js';
import { countStatement, pageStatement, pageWithCountStatement, SUBMIT_SQL, submitValues } from '../server/src/modules/jobs/job.queries.js';
import { monthOf } from '../server/src/modules/quotas/quota-math.js';
import { Role } from '../server/src/modules/users/user.entity.js';
import type { UserRecord } from '../server/src/modules/users/user.queries.js';
import { closedLoop, type LoadResult } from './closed-loop.js';
import { createScenarioDatabase, type ScenarioDatabase } from './database.js';
import { CREATE_JOB, GraphQLHttpClient, JOBS_PAGE } from './graphql-client.js';
import { PeerProcess } from './peer-process.js';
import { executionMs, explain } from './read.js';
import { fig, num, pct, ratio, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Cells, clientsLabel, profiledPass, Servers, type CellFigures, type ScenarioContext } from './scenario.js';
import { insertUsers, seedJobHistory, seedUsers, settleQuotas, vacuumAnalyze, type SeededUser } from './seed.js';

const PAGE_SIZE = 20;
const JOB_INPUT = { name: 'bench-submit', gpuType: 'A100', gpuCount: 1, hours: 1 };
const P99_TARGET_MS = 40;

/** The web app's job fields, in PostGraphile's names: the owner is the `userByOwnerId` relation. */
const POSTGRAPHILE_JOB_FIELDS = `fragment JobFields on Job {
  id name gpuType gpuCount hours gpuHours status progress statusReason chargedGpuHours
  createdAt approvedAt startedAt finishedAt owner: userByOwnerId { id email }
}`;

/** One owner's first page, newest first, as gpuaas's `jobs(first: 20)` gives it. */
const POSTGRAPHILE_PAGE = `query OwnerJobs($ownerId: UUID!) {
  allJobs(condition: { ownerId: $ownerId }, orderBy: [CREATED_AT_DESC, ID_DESC], first: ${PAGE_SIZE}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...JobFields } }
  }
}
${POSTGRAPHILE_JOB_FIELDS}`;

/** A submission through the bench's SQL function, which PostGraphile exposes as a mutation. */
const POSTGRAPHILE_SUBMIT = `mutation Submit($input: BenchSubmitJobInput!) {
  benchSubmitJob(input: $input) { job { ...JobFields } }
}
${POSTGRAPHILE_JOB_FIELDS}`;

/**
 * `bench_submit_job`: gpuaas's submission as a PL/pgSQL function, for PostGraphile to expose.
 * Its one statement is SUBMIT_SQL itself, the text imported from the server (the quota upsert that
 * cannot overdraw, the job insert, the CREATED event, and the auto-approval gpuaas applies), with
 * its parameters bound to the function's arguments and to the values gpuaas computes in
 * JavaScript (the id, the time, the month, the GPU-hours), and its closing RETURNING left out (a
 * PL/pgSQL statement has nowhere to put its rows; the row count tells whether it reserved). It
 * then returns the job row, for PostGraphile to select the client's fields from.
 */
export function submitFunctionSql(defaultMonthlyGpuHours: number): string {
  const bound: Record<string, string> = {
    1: 'v_id',
    2: 'bench_submit_job.owner_id',
    3: 'bench_submit_job.name',
    4: 'bench_submit_job.gpu_type',
    5: 'bench_submit_job.gpu_count',
    6: 'bench_submit_job.hours',
    7: 'v_gpu_hours',
    8: 'v_month',
    9: 'v_now',
    10: 'v_default_limit',
    11: 'v_weight',
  };
  const statement = SUBMIT_SQL.replace(/\$(\d+)/g, (_, n: string) => {
    const name = bound[n];
    if (name === undefined) throw new Error(`SUBMIT_SQL has a parameter $${n} the function does not bind`);
    return name;
  });
  const body = statement.replace(/\s+returning job_id, to_status\s*$/, '');
  if (body === statement) throw new Error('SUBMIT_SQL no longer ends in "returning job_id, to_status"');
  return `create function bench_submit_job(owner_id uuid, name varchar, gpu_type varchar, gpu_count int, hours numeric)
returns jobs language plpgsql volatile as $function$
#variable_conflict use_column
declare
  v_id uuid := gen_random_uuid();
  v_now timestamptz := now();
  v_month varchar := to_char(v_now at time zone 'UTC', 'YYYY-MM');
  v_weight numeric := 1;
  v_gpu_hours numeric := bench_submit_job.gpu_count * bench_submit_job.hours * v_weight;
  v_default_limit numeric := ${Number(defaultMonthlyGpuHours)};
  v_rows int;
  v_job jobs;
begin
  ${body};
  get diagnostics v_rows = row_count;
  if v_rows = 0 then
    raise exception 'Not enough GPU-hours left this month' using errcode = 'P0001';
  end if;
  select * into v_job from jobs where id = v_id;
  return v_job;
end
$function$`;
}

/**
 * One submission as raw SQL: what gpuaas sends for a `createJob` once the token's user is in its
 * per-process cache (as it is on every request but the first within AUTH_CACHE_MS): SUBMIT_SQL as
 * a named prepared statement, then the coalesced post-commit NOTIFY of the server's own
 * CommitNotifier.
 */
async function rawSubmit(pool: pg.Pool, owner: UserRecord, notifier: CommitNotifier, defaultLimit: number): Promise<void> {
  const createdAt = new Date();
  const { rowCount } = await pool.query(prepared(SUBMIT_SQL, submitValues({
    ...JOB_INPUT, id: randomUUID(), owner, gpuHours: JOB_INPUT.gpuCount * JOB_INPUT.hours, billingWeight: 1,
    quotaMonth: monthOf(createdAt), createdAt, monthlyLimit: defaultLimit,
  })));
  if (!rowCount) throw new Error('quota exceeded');
  notifier.committed();
}

/**
 * One owner's first page as raw SQL: the statement gpuaas sends for it, the page and its count in
 * one (an owner's count is small, so gpuaas never keeps it).
 */
async function rawPage(pool: pg.Pool, ownerId: string): Promise<void> {
  const { text, values } = pageWithCountStatement({ ownerId }, PAGE_SIZE, null);
  await pool.query(prepared(text, values));
}

type Op = 'page' | 'submit';
type Path = 'gpuaas' | 'postgraphile' | 'raw';
const PATHS: Path[] = ['gpuaas', 'postgraphile', 'raw'];
const OP_LABEL: Record<Op, string> = { page: 'one owner\'s first page of 20 jobs', submit: 'a job submission' };
const PATH_LABEL: Record<Op, Record<Path, string>> = {
  page: { gpuaas: 'gpuaas `jobs(first: 20)`', postgraphile: 'PostGraphile `allJobs(…, first: 20)`', raw: 'raw SQL: page + count' },
  submit: { gpuaas: 'gpuaas `createJob`', postgraphile: 'PostGraphile `benchSubmitJob`', raw: 'raw SQL: SUBMIT_SQL + NOTIFY' },
};

interface PageAnswer {
  totalCount: number;
  edges: { node: { name: string; owner: { id: string; email: string } } }[];
}

/** Both servers must answer the same page before anything is measured. */
async function checkSamePage(gpuaasUrl: string, postgraphileUrl: string, owner: SeededUser): Promise<string> {
  const gpuaas = new GraphQLHttpClient(gpuaasUrl, 1);
  const postgraphile = new GraphQLHttpClient(postgraphileUrl, 1);
  let ours: PageAnswer;
  let theirs: PageAnswer;
  try {
    ours = (await gpuaas.request<{ jobs: PageAnswer }>(JOBS_PAGE, { first: PAGE_SIZE, after: null }, owner.token)).jobs;
    theirs = (await postgraphile.request<{ allJobs: PageAnswer }>(POSTGRAPHILE_PAGE, { ownerId: owner.id }, undefined)).allJobs;
  } finally {
    gpuaas.close();
    postgraphile.close();
  }
  const names = (p: PageAnswer) => p.edges.map((e) => `${e.node.name}/${e.node.owner.email}`).join(',');
  if (ours.edges.length !== PAGE_SIZE || ours.totalCount !== theirs.totalCount || names(ours) !== names(theirs)) {
    throw new Error(`gpuaas and PostGraphile answer different pages: ${ours.totalCount} ${names(ours)} vs ${theirs.totalCount} ${names(theirs)}`);
  }
  return `both answered the same ${ours.edges.length} jobs of ${ours.totalCount} (newest ${ours.edges[0]!.node.name}, owner ${ours.edges[0]!.node.owner.email})`;
}

/**
 * Says what limits a cell served by `server` (one Node.js process): its one JavaScript thread,
 * or the machine's cores, and how much of them other work took (which depresses the figure).
 */
export function serverCpuFinding(what: string, server: string, cell: CellFigures): string {
  const cores = os.cpus().length;
  const split = [
    `${server} ${num(cell.serverCpu.median, 2)}`,
    Number.isNaN(cell.postgresCpu.median) ? '' : `PostgreSQL ${num(cell.postgresCpu.median, 2)}`,
    `load generator ${num(cell.loadCpu.median, 2)}`,
    `other processes ${num(cell.otherCpu.median, 2)}`,
  ].filter((s) => s !== '');
  let verdict = '';
  if (cell.serverCpu.median >= 0.9) verdict = ` → limited by ${server}'s one JavaScript thread`;
  else if (cell.machineCpu.median >= 0.9) verdict = ` → limited by the machine's ${cores} cores`;
  if (cell.otherCpu.median >= 0.25 * cores) verdict += '; other work on the machine took a large share, so this figure is depressed';
  return `${what}: ${num(cpuPerOpMs(cell.serverCpu.median, cell), 3)} ms of ${server} CPU per request; cores used: ${split.join(', ')} (${pct(cell.machineCpu.median, 0)} of ${cores} busy)${verdict}.`;
}

/** CPU per operation of a process, in ms. */
const cpuPerOpMs = (cores: number, c: CellFigures) => (cores / c.opsPerSecond.median) * 1000;

export async function runPeer(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { owners: ownerCount, jobsPerOwner, clients: levels, warmupMs, durationMs } = settings.peer;
  const defaultLimit = loadConfig({}).defaultMonthlyGpuHours;
  const started = performance.now();
  const dbs: ScenarioDatabase[] = [];
  const servers = new Servers(ctx);
  let postgraphile: PeerProcess | undefined;
  try {
    const ourDb = await createScenarioDatabase(ctx.database, 'peer_gpuaas');
    dbs.push(ourDb);
    const theirDb = await createScenarioDatabase(ctx.database, 'peer_postgraphile');
    dbs.push(theirDb);
    const rawDb = await createScenarioDatabase(ctx.database, 'peer_raw');
    dbs.push(rawDb);

    // The owners and their history first, so the history is theirs alone; then the submitters,
    // one per client, so no quota row is shared.
    const base = new Date();
    const seedStart = performance.now();
    const owners = await seedUsers(ourDb.pool, ctx.jwtSecret, { count: ownerCount, role: 'USER', prefix: 'owner' });
    for (const db of [theirDb, rawDb]) await insertUsers(db.pool, owners.map((u) => u.id), 'USER', 'owner');
    for (const db of dbs) await seedJobHistory(db.pool, { from: 1, to: ownerCount * jobsPerOwner, base });
    const submitters = await seedUsers(ourDb.pool, ctx.jwtSecret, { count: Math.max(...levels), role: 'USER', prefix: 'submitter' });
    for (const db of [theirDb, rawDb]) await insertUsers(db.pool, submitters.map((u) => u.id), 'USER', 'submitter');
    for (const db of dbs) {
      await settleQuotas(db.pool);
      await vacuumAnalyze(db.pool);
    }
    const seeding = `${num(ownerCount * jobsPerOwner)} jobs (${num(jobsPerOwner)} per owner) seeded into each of the three databases and vacuumed in ${num((performance.now() - seedStart) / 1000, 1)} s`;
    await theirDb.pool.query(submitFunctionSql(defaultLimit));
    // PostGraphile names the column node_id `nodeId`, the name of its own global id field: a smart
    // comment, its documented way out, renames it.
    await theirDb.pool.query('comment on column gpu_allocations.node_id is E\'@name gpuNodeId\'');

    const api = await servers.start('peer-api', 'api', ourDb.url);
    postgraphile = await PeerProcess.start({
      name: 'peer-postgraphile', kind: 'postgraphile', databaseUrl: theirDb.url, dir: ctx.dir, cpuProfile: settings.cpuProfile,
    });
    const check = await checkSamePage(api.url, postgraphile.url, owners[0]!);

    const records: UserRecord[] = submitters.map((u, i) => ({
      id: u.id, email: `submitter-${i}@bench.example`, role: Role.USER, monthlyGpuHoursLimit: null, createdAt: new Date(),
    }));
    const cells = new Cells();
    // Each client reads a different owner's page each time, round the owners.
    const ownerOf = (client: number, i: number, clients: number) => owners[(client + i * clients) % owners.length]!;
    const measure = async (op: Op, path: Path, clients: number): Promise<LoadResult> => {
      const asked = new Array<number>(clients).fill(0);
      const next = (c: number) => ownerOf(c, asked[c]!++, clients);
      if (path === 'raw') {
        const pool = new pg.Pool({ connectionString: rawDb.url, max: clients });
        const notifier = new CommitNotifier((channel, payload = '') => pool.query(prepared(NOTIFY_SQL, [channel, payload])), createLogger('silent'));
        try {
          return await closedLoop({
            clients, warmupMs, durationMs,
            op: op === 'page' ? (c) => rawPage(pool, next(c).id) : (c) => rawSubmit(pool, records[c]!, notifier, defaultLimit),
          });
        } finally {
          await pool.end();
        }
      }
      const server = path === 'gpuaas' ? api : postgraphile!;
      const http = new GraphQLHttpClient(server.url, clients);
      let send: (c: number) => Promise<unknown>;
      if (path === 'gpuaas') {
        send = op === 'page'
          ? (c) => http.request(JOBS_PAGE, { first: PAGE_SIZE, after: null }, next(c).token)
          : (c) => http.request(CREATE_JOB, { input: JOB_INPUT }, submitters[c]!.token);
      } else {
        send = op === 'page'
          ? (c) => http.request(POSTGRAPHILE_PAGE, { ownerId: next(c).id }, undefined)
          : (c) => http.request(POSTGRAPHILE_SUBMIT, {
            input: { ownerId: submitters[c]!.id, name: JOB_INPUT.name, gpuType: JOB_INPUT.gpuType, gpuCount: JOB_INPUT.gpuCount, hours: String(JOB_INPUT.hours) },
          }, undefined);
      }
      try {
        return await closedLoop({ clients, warmupMs, durationMs, watchPids: [server.pid], op: send });
      } finally {
        http.close();
      }
    };

    // Runs are interleaved (every cell once, then again) so drift on the machine hits all alike.
    for (let run = 0; run < settings.runs; run++) {
      for (const clients of levels) {
        for (const op of ['page', 'submit'] as Op[]) {
          for (const path of PATHS) cells.add(`${op}:${path}:${clients}`, await measure(op, path, clients));
        }
      }
    }

    // Where gpuaas's CPU goes, for the figures below: a profiled window of each operation.
    const most = Math.max(...levels);
    let profiledPages = 0;
    const profiles = [
      ...(await profiledPass(ctx, 'peer-api-profiled-page', '`jobs(first: 20)`', ourDb.url, most, { warmupMs, durationMs }, (http) =>
        http.request(JOBS_PAGE, { first: PAGE_SIZE, after: null }, owners[profiledPages++ % owners.length]!.token))),
      ...(await profiledPass(ctx, 'peer-api-profiled-submit', '`createJob`', ourDb.url, most, { warmupMs, durationMs }, (http, c) =>
        http.request(CREATE_JOB, { input: JOB_INPUT }, submitters[c]!.token))),
    ];

    const plans = {
      ours: await explain(ourDb.pool, pageStatement({ ownerId: owners[0]!.id }, PAGE_SIZE, null)),
      count: await explain(ourDb.pool, countStatement({ ownerId: owners[0]!.id })),
    };

    const table: Table = {
      title: `gpuaas, PostGraphile 4 and the raw SQL: ${OP_LABEL.page} and ${OP_LABEL.submit}`,
      columns: ['operation', 'clients', 'path', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU (cores)', 'server CPU per request (ms)', 'PostgreSQL CPU per request (ms)', 'errors'],
      rows: [],
    };
    const ratios: Table = {
      title: 'Ratios of the medians',
      columns: [
        'operation', 'clients', 'gpuaas/s', 'PostGraphile/s', 'gpuaas ÷ PostGraphile', 'raw/s', 'gpuaas ÷ raw', 'gpuaas p99 ms', 'PostGraphile p99 ms',
        'server CPU per request: PostGraphile ÷ gpuaas', 'PostgreSQL CPU per request: PostGraphile ÷ gpuaas',
      ],
      rows: [],
    };
    const targets: TargetCheck[] = [];
    const findings: string[] = [];
    for (const op of ['page', 'submit'] as Op[]) {
      for (const clients of levels) {
        for (const path of PATHS) {
          const c = cells.get(`${op}:${path}:${clients}`);
          const served = path !== 'raw';
          table.rows.push([
            op, String(clients), PATH_LABEL[op][path], fig(c.opsPerSecond), fig(c.p50Ms, 1), fig(c.p99Ms, 1),
            served ? fig(c.serverCpu, 2) : '–', served ? num(cpuPerOpMs(c.serverCpu.median, c), 3) : '–',
            num(cpuPerOpMs(c.postgresCpu.median, c), 3), String(c.errors),
          ]);
          if (c.errors > 0) findings.push(`${PATH_LABEL[op][path]} at ${clientsLabel(clients)}: ${c.errors} errors, first: ${c.firstError}`);
        }
        const ours = cells.get(`${op}:gpuaas:${clients}`);
        const theirs = cells.get(`${op}:postgraphile:${clients}`);
        const raw = cells.get(`${op}:raw:${clients}`);
        const vsPeer = ours.opsPerSecond.median / theirs.opsPerSecond.median;
        const vsRaw = ours.opsPerSecond.median / raw.opsPerSecond.median;
        ratios.rows.push([
          op, String(clients), num(ours.opsPerSecond.median), num(theirs.opsPerSecond.median), ratio(vsPeer),
          num(raw.opsPerSecond.median), ratio(vsRaw), num(ours.p99Ms.median, 1), num(theirs.p99Ms.median, 1),
          ratio(cpuPerOpMs(theirs.serverCpu.median, theirs) / cpuPerOpMs(ours.serverCpu.median, ours)),
          ratio(cpuPerOpMs(theirs.postgresCpu.median, theirs) / cpuPerOpMs(ours.postgresCpu.median, ours)),
        ]);
        const name = op === 'page' ? '`jobs(first: 20)`' : '`createJob`';
        targets.push({
          target: `Peer, ${name} at ${clientsLabel(clients)} ≥ 1.5 × PostGraphile's ${op === 'page' ? 'page' : 'submission'}`,
          measured: `${ratio(vsPeer)} (${num(ours.opsPerSecond.median)}/s vs ${num(theirs.opsPerSecond.median)}/s)`,
          met: vsPeer >= 1.5,
        });
        if (op === 'submit') {
          targets.push({
            target: `Peer, \`createJob\` at ${clientsLabel(clients)} ≥ 0.5 × the raw SQL`,
            measured: `${ratio(vsRaw)} (${num(ours.opsPerSecond.median)}/s vs ${num(raw.opsPerSecond.median)}/s)`,
            met: vsRaw >= 0.5,
          });
        }
        if (op === 'page' && clients === Math.max(...levels)) {
          targets.push({
            target: `Peer, \`jobs(first: 20)\` at ${clientsLabel(clients)}: p99 ≤ ${P99_TARGET_MS} ms`,
            measured: `${num(ours.p99Ms.median, 1)} ms`,
            met: ours.p99Ms.median <= P99_TARGET_MS,
          });
        }
        findings.push(serverCpuFinding(`gpuaas, ${op} at ${clientsLabel(clients)}`, 'gpuaas', ours));
        findings.push(serverCpuFinding(`PostGraphile, ${op} at ${clientsLabel(clients)}`, 'PostGraphile', theirs));
        findings.push(
          `Raw SQL, ${op} at ${clientsLabel(clients)}: the \`pg\` client (the bench process) spent ${num(cpuPerOpMs(raw.loadCpu.median, raw), 3)} ms of CPU per ${op === 'page' ? 'page' : 'submission'}` +
            (Number.isNaN(raw.postgresCpu.median) ? '' : ` and PostgreSQL ${num(cpuPerOpMs(raw.postgresCpu.median, raw), 3)} ms`) +
            `; ${pct(raw.machineCpu.median, 0)} of the machine busy, other processes ${num(raw.otherCpu.median, 2)} cores.`,
        );
      }
    }
    findings.push(
      `The page's plans on gpuaas's database (one owner, ${num(jobsPerOwner)} jobs): the page ${num(executionMs(plans.ours), 2)} ms, its count ${num(executionMs(plans.count), 2)} ms (below). ` +
        'Both are served by the index on (owner_id, created_at, id) of the first migration, read backwards; PostGraphile\'s query filters and orders on the same columns.',
    );
    return {
      title: '11. Peer: gpuaas against PostGraphile 4 on the same tables',
      method: [
        `Three databases, each migrated by gpuaas's migrator and seeded alike: ${num(ownerCount)} owners with a job history shared round-robin (as the read cell seeds it), and ${Math.max(...levels)} submitters without jobs. ${seeding}.`,
        'gpuaas: the built server (`--role api`) on the first. PostGraphile 4.14 (`postgraphile` package, library mode on node:http, schema `public`, a `pg` pool of 10 connections like gpuaas\'s plain-SQL pool, with its documented production options: no query log, no GraphiQL, no schema watching, `dynamicJson`, `ignoreRBAC: false`, `legacyRelations: omit`) in a process of its own on the second, with NODE_ENV=production. The raw SQL runs from the bench process on the third.',
        `Page: gpuaas's \`jobs(first: ${PAGE_SIZE})\` (the web app's query: totalCount, pageInfo, every job field and the owner's id and email) with the owner's token; PostGraphile's \`allJobs(condition: { ownerId }, orderBy: [CREATED_AT_DESC, ID_DESC], first: ${PAGE_SIZE})\` with the same selection (the owner through \`userByOwnerId\`); raw SQL: gpuaas's page statement and count statement (imported from its job queries, named prepared statements) sent side by side on a \`pg\` pool of one connection per client. Each client asks for a different owner's first page each time, round the owners. Before measuring: ${check}.`,
        `Submit: gpuaas's \`createJob\` (the web app's mutation and selection) with the submitter's token; PostGraphile's \`benchSubmitJob\`, the mutation it makes of the SQL function \`bench_submit_job(owner_id, name, gpu_type, gpu_count, hours)\` the bench creates, whose statement is gpuaas's SUBMIT_SQL itself (the quota upsert that cannot overdraw, the job insert and the CREATED event; PostGraphile wraps each mutation in BEGIN … COMMIT and selects the answer's fields from the returned row); raw SQL: SUBMIT_SQL as a named prepared statement and the coalesced NOTIFY gpuaas sends after it, i.e. what gpuaas sends once the token's user is in its cache (no token check statement).`,
        'PostGraphile is given the owner\'s id in the query and checks no token (no JWT, no row-level security): it does less than gpuaas, which verifies a signed token on every request and writes one log line per request to a file, as in production.',
        `Closed loop, ${warmupMs} ms warm-up then ${durationMs} ms measured per cell; in each run every cell once (gpuaas, PostGraphile, raw, for the page and then the submission, at ${levels.join(' and ')} clients), ${settings.runs} run(s). Server CPU is the serving process's alone; the load generator's is never counted in it. The load generator is undici's \`Pool.dispatch\` (bench/graphql-client.ts).`,
      ],
      tables: [table, ratios],
      targets,
      findings,
      evidence: [
        { title: 'EXPLAIN ANALYZE: one owner\'s first page (gpuaas\'s page statement)', text: plans.ours },
        { title: 'EXPLAIN ANALYZE: its count', text: plans.count },
        ...profiles,
        ...(await stopPeers(servers, postgraphile)),
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await servers.stopAll();
    await postgraphile?.stop();
    for (const db of dbs) await db.drop();
  }
}

/** Stops the servers and sums up their CPU profiles (with BENCH_PROFILE). */
async function stopPeers(servers: Servers, peer: PeerProcess | undefined): Promise<ScenarioResult['evidence']> {
  const evidence = await servers.stopAll();
  if (peer) {
    await peer.stop();
    const summary = peer.profileSummary();
    if (summary !== null) evidence.push({ title: `CPU profile of ${peer.name} (node --cpu-prof)`, text: summary });
  }
  return evidence;
}
