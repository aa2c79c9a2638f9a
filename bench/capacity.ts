/**
 * Scenario 6, Capacity: `startJob` (GPUs allocated on the best-fit node) over HTTP at 1, 8 and 32
 * concurrent clients on an inventory of 1,000 nodes with 10,000 running jobs holding GPUs,
 * against the same allocation SQL sent straight with `pg` on a twin database; then the latency
 * of the `cluster` and `utilization` queries at that size, with the plans of their statements.
 */
import pg from 'pg';
import { loadConfig } from '../server/src/config.js';
import { prepared, type SqlRunner } from '../server/src/db/sql.js';
import { CommitNotifier } from '../server/src/events/commit-notifier.js';
import { NOTIFY_SQL } from '../server/src/events/job-event.queries.js';
import { createLogger } from '../server/src/logger.js';
import { POOLS_SQL, UTILIZATION_SQL, allocations, nodesById, type PoolRecord } from '../server/src/modules/cluster/cluster.queries.js';
import { GpuNodeState } from '../server/src/modules/cluster/gpu-node.entity.js';
import {
  ALLOCATE_SQL, CAPACITIES_SQL, HELD_INDICES_SQL, LOCK_TYPE_SQL, typeLockKey, type CapacityRow,
} from '../server/src/modules/cluster/gpu-node.repository.js';
import { bestFit, pickIndices, type NodeCapacity } from '../server/src/modules/cluster/placement.js';
import { drawRun } from '../server/src/modules/jobs/simulated-run.js';
import { CREDENTIALS_SQL } from '../server/src/modules/users/user.queries.js';
import { closedLoop } from './closed-loop.js';
import { createScenarioDatabase, type ScenarioDatabase } from './database.js';
import { CLUSTER, GraphQLHttpClient, START_JOB, UTILIZATION } from './graphql-client.js';
import { executionMs, explain } from './read.js';
import { fig, num, pct, ratio, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Cells, clientsLabel, cpuFinding, Servers, type ScenarioContext } from './scenario.js';
import {
  deleteJobs, seedAllocationHistory, seedApprovedJobs, seedGpuNodes, seedHeldAllocations, seedUsers, settleQuotas,
  vacuumAnalyze, type SeededUser,
} from './seed.js';

const START_RATIO_TARGET = 0.5;
const CLUSTER_P99_TARGET_MS = 20;
const OWNERS = 100;
/** Names of the approved jobs a start cell starts; deleted after each cell. */
const STARTS = 'capacity-start';
const QUEUED = 'capacity-queued';

/** `?` placeholders (MikroORM's `execute`) as `$1, $2, …` (`pg`'s). */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** The allocation's statements, their texts imported from the server's GpuNodeRepository. */
const RAW_LOCK_TYPE = numbered(LOCK_TYPE_SQL);
const RAW_CAPACITIES = numbered(CAPACITIES_SQL);
const RAW_HELD_INDICES = numbered(HELD_INDICES_SQL);
const RAW_ALLOCATE = numbered(ALLOCATE_SQL);
/*
 * The statements MikroORM generates around them for a start (the job's row lock, its owner, the
 * node's row lock, the event and the job's update), as PostgreSQL's statement log shows them for
 * one `startJob`, with `$n` placeholders instead of the ORM's inlined values.
 */
const LOCK_JOB = 'select "j0".* from "jobs" as "j0" where "j0"."id" = $1 limit 1 for update';
const LOAD_OWNER = 'select "u0".* from "users" as "u0" where "u0"."id" in ($1)';
const LOCK_NODE = 'select "g0".* from "gpu_nodes" as "g0" where "g0"."id" = $1 and "g0"."removed_at" is null limit 1 for update';
const INSERT_EVENT =
  'insert into "job_events" ("job_id", "kind", "from_status", "to_status", "progress", "actor_id", "reason", "at") ' +
  'values ($1, $2, $3, $4, $5, $6, $7, $8) returning "id", "tx_id"';
const UPDATE_STARTED =
  'update "jobs" set "status" = $1, "started_at" = $2, "sim_outcome" = $3, "sim_run_hours" = $4, "sim_fail_reason" = $5, ' +
  '"sim_hours_done" = $6, "sim_advanced_at" = $7 where "id" = $8';

/** The simulator's settings the servers under test run with (the defaults), for drawing runs. */
const SIM = loadConfig({}).sim;

interface JobRow {
  id: string;
  seq: string;
  owner_id: string;
  gpu_type: string;
  gpu_count: number;
  hours: string;
  status: string;
  progress: number;
}

/** The columns of a locked node that placement reads. */
type NodeRow = Pick<CapacityRow, 'id' | 'name' | 'gpu_count' | 'state'>;

/**
 * `allocateGpus` of the server with `pg`: the type's lock, the type's capacities, the best fit
 * (the server's own pure function), the chosen node's lock, its held indices, the allocation rows;
 * the next candidate when the locked node cannot take the job after all.
 */
async function rawAllocate(client: pg.PoolClient, job: JobRow, at: Date): Promise<{ node: string; gpuIndices: number[] }> {
  await client.query(prepared(RAW_LOCK_TYPE, [typeLockKey(job.gpu_type)]));
  const tried = new Set<string>();
  for (;;) {
    const { rows } = await client.query<CapacityRow>(prepared(RAW_CAPACITIES, [job.gpu_type]));
    const nodes: NodeCapacity[] = rows.map((r) => ({ id: r.id, name: r.name, gpuType: r.gpu_type, gpuCount: r.gpu_count, state: r.state, held: r.held }));
    const choice = bestFit(nodes.filter((n) => !tried.has(n.id)), job.gpu_count);
    if (choice === null) throw new Error(`INSUFFICIENT_CAPACITY: ${job.gpu_count} ${job.gpu_type}`);
    tried.add(choice.id);
    const [node] = (await client.query<NodeRow>(prepared(LOCK_NODE, [choice.id]))).rows;
    if (node === undefined || node.state !== GpuNodeState.UP) continue;
    const held = (await client.query<{ gpu_index: number }>(prepared(RAW_HELD_INDICES, [node.id]))).rows.map((r) => r.gpu_index);
    const gpuIndices = pickIndices(node.gpu_count, held, job.gpu_count);
    if (gpuIndices === null) continue;
    await client.query(prepared(RAW_ALLOCATE, [job.id, node.id, at, `{${gpuIndices.join(',')}}`]));
    return { node: node.name, gpuIndices };
  }
}

/** The server's own read functions, run on a `pg` pool as named prepared statements, as its Sql does. */
function runnerOn(pool: pg.Pool): SqlRunner {
  return { rows: async <T>(text: string, values: readonly unknown[] = []) => (await pool.query(prepared(text, values))).rows as T[] };
}

/**
 * One start as raw SQL, in the order the server sends it: the token check's user lookup, then in
 * one transaction the job's row lock, its owner, the allocation, the TRANSITION event and the
 * job's update to RUNNING with its drawn run; the wake-up after the commit through the server's
 * own coalescing CommitNotifier; then the answer's two reads (the job's allocation and its node,
 * through the server's own query functions).
 */
async function rawStart(pool: pg.Pool, adminId: string, jobId: string, notifier: CommitNotifier): Promise<void> {
  await pool.query(prepared(CREDENTIALS_SQL, [adminId]));
  const client = await pool.connect();
  try {
    await client.query('begin');
    const [job] = (await client.query<JobRow>(prepared(LOCK_JOB, [jobId]))).rows;
    if (job?.status !== 'APPROVED') throw new Error(`job ${jobId} is not APPROVED`);
    await client.query(prepared(LOAD_OWNER, [job.owner_id]));
    const at = new Date();
    const place = await rawAllocate(client, job, at);
    const run = drawRun(job.seq, Number(job.hours), SIM, place);
    await client.query(prepared(INSERT_EVENT, [job.id, 'TRANSITION', 'APPROVED', 'RUNNING', job.progress, adminId, null, new Date()]));
    await client.query(prepared(UPDATE_STARTED, ['RUNNING', at, run.outcome, run.runHours, run.failReason, 0, at, job.id]));
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
  notifier.committed();
  const sql = runnerOn(pool);
  const allocation = (await allocations(sql, [jobId])).get(jobId);
  if (allocation === undefined) throw new Error(`job ${jobId} started without an allocation`);
  await nodesById(sql, [allocation.nodeId]);
}

/** The database's figures of the inventory, for the results. */
interface InventoryFacts {
  nodes: number;
  gpus: number;
  running: number;
  held: number;
  history: number;
  pools: PoolRecord[];
}

async function inventoryFacts(pool: pg.Pool): Promise<InventoryFacts> {
  const { rows } = await pool.query<{ nodes: number; gpus: number; running: number; held: number; history: number }>(
    `select (select count(*) from gpu_nodes where removed_at is null)::int as nodes,
            (select sum(gpu_count) from gpu_nodes where removed_at is null)::int as gpus,
            (select count(*) from jobs where status = 'RUNNING')::int as running,
            (select count(*) from gpu_allocations where released_at is null)::int as held,
            (select count(*) from gpu_allocations where released_at is not null)::int as history`,
  );
  return { ...rows[0]!, pools: (await pool.query<PoolRecord>(POOLS_SQL)).rows };
}

/** Seeds one database of the scenario: owners, the inventory, its running jobs and its history. */
async function seedInventory(db: ScenarioDatabase, ctx: ScenarioContext): Promise<void> {
  const c = ctx.settings.capacity;
  await seedUsers(db.pool, ctx.jwtSecret, { count: OWNERS, role: 'USER', prefix: 'capacity-owner' });
  await seedGpuNodes(db.pool, c);
  await seedHeldAllocations(db.pool, { perNode: c.heldPerNode });
  await seedAllocationHistory(db.pool, { jobs: c.historyJobs, gpusPerJob: c.historyGpusPerJob, days: c.historyDays });
  await settleQuotas(db.pool);
  await vacuumAnalyze(db.pool);
}

/**
 * APPROVED one-GPU jobs to start in one cell: as many of each type as its pool has free GPUs,
 * so no start of the cell can fail for lack of capacity, whatever its throughput.
 */
async function approvedForStarts(pool: pg.Pool): Promise<string[]> {
  const pools = (await pool.query<PoolRecord>(POOLS_SQL)).rows;
  return seedApprovedJobs(pool, new Map(pools.map((p) => [p.gpuType, p.freeGpus])), STARTS);
}

/** Index probes of the held-GPU count in a plan of the pools: the loops of every such scan, summed. */
function heldCountProbes(plan: string): number {
  return [...plan.matchAll(/Index Only Scan using gpu_allocations_held_idx[^\n]*loops=(\d+)\)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/** What a utilization plan's scan of gpu_allocations kept and filtered out, when it shows both. */
function windowScan(plan: string): { kept: number; removed: number } | null {
  const match = /Scan on gpu_allocations a [^\n]*actual time=[\d.]+\.\.[\d.]+ rows=([\d.]+)[^\n]*\n(?:[^\n]*\n){0,2}?\s*Rows Removed by Filter: (\d+)/.exec(plan);
  return match ? { kept: Number(match[1]), removed: Number(match[2]) } : null;
}

type StartPath = 'http' | 'raw';
type Read = 'cluster' | 'util-24h' | 'util-7d';
const READS: Read[] = ['cluster', 'util-24h', 'util-7d'];
const READ_LABEL: Record<Read, string> = {
  cluster: '`cluster` (every pool)',
  'util-24h': '`utilization`, 24 h in 96 buckets',
  'util-7d': '`utilization`, 7 d in 168 buckets',
};
const WINDOW: Record<Exclude<Read, 'cluster'>, { hours: number; buckets: number }> = {
  'util-24h': { hours: 24, buckets: 96 },
  'util-7d': { hours: 24 * 7, buckets: 168 },
};

/** The utilization window ending now, as the Cluster page asks for it (all GPU types). */
function utilizationValues(read: Exclude<Read, 'cluster'>): { from: Date; to: Date; buckets: number } {
  const to = new Date();
  return { from: new Date(to.getTime() - WINDOW[read].hours * 3_600_000), to, buckets: WINDOW[read].buckets };
}

export async function runCapacity(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const c = settings.capacity;
  const { warmupMs, durationMs } = c;
  const started = performance.now();
  const db = await createScenarioDatabase(ctx.database, 'capacity');
  // The raw SQL starts jobs on a twin database, so no API process's relay reads its events and
  // the two paths never wait on each other's locks.
  const rawDb = await createScenarioDatabase(ctx.database, 'capacity_raw');
  const servers = new Servers(ctx);
  try {
    const seedStart = performance.now();
    await seedInventory(db, ctx);
    await seedInventory(rawDb, ctx);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const [admin] = await seedUsers(db.pool, ctx.jwtSecret, { count: 1, role: 'ADMIN', prefix: 'capacity-admin' });
    const [rawAdmin] = await seedUsers(rawDb.pool, ctx.jwtSecret, { count: 1, role: 'ADMIN', prefix: 'capacity-admin' });
    const readers: SeededUser[] = await seedUsers(db.pool, ctx.jwtSecret, { count: Math.max(...c.readClients), role: 'USER', prefix: 'capacity-reader' });
    const facts = await inventoryFacts(db.pool);
    const api = await servers.start('capacity-api', 'api', db.url);

    const cells = new Cells();
    /** Cells whose supply of approved jobs ran out: their figures are not valid. */
    const exhausted = new Set<string>();
    const startsPerCell = new Map<string, number[]>();
    // Runs are interleaved (every cell once, then again) so drift on the machine hits all alike.
    for (let run = 0; run < settings.runs; run++) {
      for (const clients of c.startClients) {
        for (const path of ['http', 'raw'] as StartPath[]) {
          const key = `${path}:${clients}`;
          const target = path === 'http' ? db : rawDb;
          const ids = await approvedForStarts(target.pool);
          let next = 0;
          const take = (): string | undefined => {
            const id = ids[next];
            if (id === undefined) exhausted.add(key);
            else next += 1;
            return id;
          };
          const noneLeft = async (): Promise<never> => {
            // Not a spin: an empty supply is a failed cell, reported as such.
            await new Promise((r) => setTimeout(r, 5));
            throw new Error('every approved job was started: the free GPUs ran out before the window ended');
          };
          if (path === 'http') {
            const http = new GraphQLHttpClient(api.url, clients);
            cells.add(key, await closedLoop({
              clients, warmupMs, durationMs, watchPids: [api.pid],
              op: async () => {
                const id = take();
                return id === undefined ? noneLeft() : http.request(START_JOB, { id }, admin!.token);
              },
            }));
            http.close();
          } else {
            const pool = new pg.Pool({ connectionString: rawDb.url, max: clients });
            const notifier = new CommitNotifier((channel, payload = '') => pool.query(prepared(NOTIFY_SQL, [channel, payload])), createLogger('silent'));
            cells.add(key, await closedLoop({
              clients, warmupMs, durationMs,
              op: async () => {
                const id = take();
                return id === undefined ? noneLeft() : rawStart(pool, rawAdmin!.id, id, notifier);
              },
            }));
            await pool.end();
          }
          startsPerCell.set(key, [...(startsPerCell.get(key) ?? []), next]);
          // Every cell starts from the same inventory: the jobs it started go, with their GPUs.
          await deleteJobs(target.pool, STARTS);
          await vacuumAnalyze(target.pool);
        }
      }
    }

    // The reads, with a queue of approved jobs waiting as on a busy cluster.
    const perType = Math.ceil(c.queuedJobs / c.gpuTypes.length);
    await seedApprovedJobs(db.pool, new Map(c.gpuTypes.map((t) => [t, perType])), QUEUED);
    await vacuumAnalyze(db.pool);
    for (let run = 0; run < settings.runs; run++) {
      for (const clients of c.readClients) {
        for (const read of READS) {
          const http = new GraphQLHttpClient(api.url, clients);
          cells.add(`${read}:http:${clients}`, await closedLoop({
            clients, warmupMs, durationMs, watchPids: [api.pid],
            op: (client) => read === 'cluster'
              ? http.request(CLUSTER, {}, readers[client]!.token)
              : http.request(UTILIZATION, { ...utilizationValues(read), gpuType: null }, readers[client]!.token),
          }));
          http.close();
          const pool = new pg.Pool({ connectionString: db.url, max: clients });
          cells.add(`${read}:raw:${clients}`, await closedLoop({
            clients, warmupMs, durationMs,
            op: () => {
              if (read === 'cluster') return pool.query(prepared(POOLS_SQL));
              const { from, to, buckets } = utilizationValues(read);
              return pool.query(prepared(UTILIZATION_SQL, [null, from, to, buckets]));
            },
          }));
          await pool.end();
        }
      }
    }

    // The plans behind the figures, on the seeded inventory with its queue.
    const day = utilizationValues('util-24h');
    const week = utilizationValues('util-7d');
    const plans = {
      capacities: await explain(db.pool, { text: RAW_CAPACITIES, values: [c.gpuTypes[0]] }),
      pools: await explain(db.pool, { text: POOLS_SQL, values: [] }),
      day: await explain(db.pool, { text: UTILIZATION_SQL, values: [null, day.from, day.to, day.buckets] }),
      week: await explain(db.pool, { text: UTILIZATION_SQL, values: [null, week.from, week.to, week.buckets] }),
    };
    const evidence: ScenarioResult['evidence'] = [
      { title: `EXPLAIN ANALYZE: a start's capacities of one type (${num(c.nodesPerType)} nodes; runs in every start, under the type's lock)`, text: plans.capacities },
      { title: `EXPLAIN ANALYZE: the pools (\`cluster\`, \`clusterChanged\`, metrics) over ${num(facts.nodes)} nodes`, text: plans.pools },
      { title: 'EXPLAIN ANALYZE: utilization of every type, 24 h in 96 buckets', text: plans.day },
      { title: 'EXPLAIN ANALYZE: utilization of every type, 7 d in 168 buckets', text: plans.week },
    ];

    const startTable: Table = {
      title: `startJob (best fit, one GPU) with ${num(facts.nodes)} nodes and ${num(facts.running)} running jobs`,
      columns: ['clients', 'path', 'starts/s', 'p50 ms', 'p99 ms', 'API CPU (cores)', 'machine CPU busy', 'started per run', 'errors'],
      rows: c.startClients.flatMap((clients) =>
        (['http', 'raw'] as StartPath[]).map((path) => {
          const cell = cells.get(`${path}:${clients}`);
          return [
            String(clients), path === 'http' ? 'HTTP' : 'raw SQL', fig(cell.opsPerSecond), fig(cell.p50Ms, 1), fig(cell.p99Ms, 1),
            path === 'http' ? fig(cell.serverCpu, 2) : '–', pct(cell.machineCpu.median, 0),
            (startsPerCell.get(`${path}:${clients}`) ?? []).map((n) => num(n)).join(', '), String(cell.errors),
          ];
        }),
      ),
    };
    const summary: Table = {
      title: 'startJob: HTTP against the raw allocation SQL',
      columns: ['clients', 'HTTP/s', 'raw/s', 'HTTP ÷ raw', 'target'],
      rows: [],
    };
    const targets: TargetCheck[] = [];
    const findings: string[] = [];
    for (const clients of c.startClients) {
      const http = cells.get(`http:${clients}`);
      const raw = cells.get(`raw:${clients}`);
      const share = http.opsPerSecond.median / raw.opsPerSecond.median;
      const valid = !exhausted.has(`http:${clients}`) && !exhausted.has(`raw:${clients}`);
      summary.rows.push([String(clients), num(http.opsPerSecond.median), num(raw.opsPerSecond.median), ratio(share), `≥ ${START_RATIO_TARGET.toFixed(2)}×`]);
      targets.push({
        target: `startJob at ${clientsLabel(clients)} ≥ ${START_RATIO_TARGET} × raw allocation SQL`,
        measured: `${ratio(share)} (${num(http.opsPerSecond.median)}/s vs ${num(raw.opsPerSecond.median)}/s)${valid ? '' : '; free GPUs ran out'}`,
        met: valid ? share >= START_RATIO_TARGET : null,
      });
      findings.push(cpuFinding(`startJob over HTTP at ${clientsLabel(clients)}`, http));
      for (const path of ['http', 'raw'] as StartPath[]) {
        const cell = cells.get(`${path}:${clients}`);
        if (cell.errors > 0) findings.push(`startJob, ${path === 'http' ? 'HTTP' : 'raw SQL'} at ${clientsLabel(clients)}: ${cell.errors} errors, first: ${cell.firstError}`);
      }
    }

    const readTable: Table = {
      title: `Reads of the Cluster page with ${num(facts.nodes)} nodes, ${num(facts.held)} GPUs held and ${num(facts.history)} finished allocation rows`,
      columns: ['query', 'clients', 'HTTP/s', 'HTTP p50 ms', 'HTTP p99 ms', 'raw SQL p50 ms', 'raw SQL p99 ms', 'target'],
      rows: [],
    };
    for (const read of READS) {
      for (const clients of c.readClients) {
        const http = cells.get(`${read}:http:${clients}`);
        const raw = cells.get(`${read}:raw:${clients}`);
        readTable.rows.push([
          READ_LABEL[read], String(clients), fig(http.opsPerSecond), fig(http.p50Ms, 1), fig(http.p99Ms, 1), fig(raw.p50Ms, 1), fig(raw.p99Ms, 1),
          read === 'cluster' ? `p99 ≤ ${CLUSTER_P99_TARGET_MS} ms` : '–',
        ]);
        if (read === 'cluster') {
          targets.push({
            target: `cluster at ${clientsLabel(clients)}, ${num(facts.nodes)} nodes: p99 ≤ ${CLUSTER_P99_TARGET_MS} ms`,
            measured: `${num(http.p99Ms.median, 1)} ms (raw SQL ${num(raw.p99Ms.median, 1)} ms)`,
            met: http.p99Ms.median <= CLUSTER_P99_TARGET_MS,
          });
        }
        for (const [path, cell] of [['HTTP', http], ['raw SQL', raw]] as const) {
          if (cell.errors > 0) findings.push(`${READ_LABEL[read]}, ${path} at ${clientsLabel(clients)}: ${cell.errors} errors, first: ${cell.firstError}`);
        }
      }
    }
    findings.push(
      `Every start reads the capacities of all ${num(c.nodesPerType)} nodes of its type, one held-GPU count per node, while it holds the type's lock: ` +
        `${num(executionMs(plans.capacities), 2)} ms in PostgreSQL (plan below). Starts of one type take turns on that lock, ` +
        `so with ${c.gpuTypes.length} types at most ${c.gpuTypes.length} allocations make progress at once on either path.`,
      `In PostgreSQL: the pools took ${num(executionMs(plans.pools), 2)} ms, utilization over 24 h ${num(executionMs(plans.day), 1)} ms and over 7 d ${num(executionMs(plans.week), 1)} ms (plans below).`,
    );
    const heldProbes = heldCountProbes(plans.pools);
    if (heldProbes > 1.5 * facts.nodes) {
      findings.push(
        `The pools count each node's held GPUs ${num(heldProbes / facts.nodes, 1)} times: ${num(heldProbes)} index probes for ${num(facts.nodes)} nodes, ` +
          'because the `node` CTE is inlined and its correlated count runs once for every aggregate that uses `held`. ' +
          'Counting once (`with node as materialized`, or a left join on the held rows grouped by node) gives the same answer with a third of the probes.',
      );
    }
    const window = windowScan(plans.day);
    if (window !== null && window.removed > window.kept) {
      findings.push(
        `Utilization over 24 h read ${num(window.kept + window.removed)} allocation rows to keep ${num(window.kept)}: the \`allocated_at\` index bounds only the window's end, ` +
          'so a recent window costs more as the history grows. An index on when each allocation ends (e.g. on `coalesce(released_at, \'infinity\')`, queried with the same expression) would bound its start too.',
      );
    }

    const free = facts.pools.reduce((n, p) => n + p.freeGpus, 0);
    return {
      title: '6. Capacity',
      method: [
        `Inventory: ${c.gpuTypes.length} GPU types (${c.gpuTypes.join(', ')}) × ${num(c.nodesPerType)} UP nodes of ${c.gpusPerNode} GPUs = ${num(facts.nodes)} nodes, ${num(facts.gpus)} GPUs. ` +
          `${num(facts.running)} RUNNING one-GPU jobs hold ${num(facts.held)} of them (node by node ${c.heldPerNode} ± 2, so nodes differ in how full they are), leaving ${num(free)} free. ` +
          `The issue asks for 1,000 nodes × 8 GPUs and 10,000 running jobs: 8,000 GPUs cannot hold 10,000 jobs, so the nodes have ${c.gpusPerNode} GPUs, ` +
          'keeping both the 1,000 nodes (what a start and the pools read) and 10,000 running jobs each holding a GPU (what the held-GPU counts read), with room left for the measured starts.',
        `History: ${num(c.historyJobs)} finished ${c.historyGpusPerJob}-GPU jobs of 1 to 6 hours spread over the last ${c.historyDays} days, ${num(facts.history)} released allocation rows; the running jobs started over the last 48 hours. ` +
          `All seeded with \`insert … select from generate_series\` into both databases, then VACUUM ANALYZE, in ${num(seedSeconds, 1)} s.`,
        `startJob: the web app's \`StartJob\` mutation (best fit, no nodeId; every job field and the allocation with its node) with an admin token, closed loop, ${warmupMs} ms warm-up then ${durationMs} ms measured. ` +
          'Before each cell, APPROVED one-GPU jobs are inserted, as many of each type as it has free GPUs (types taking turns in the order they are started), so every start finds room; after it, the jobs it started are deleted with their GPUs and the tables vacuumed, so every cell starts from the same inventory.',
        'Raw allocation SQL: on a twin database seeded alike, the statements the server sends for one start, in its order, on a `pg` pool of as many connections as clients: ' +
          'the token check\'s user lookup, then in one transaction the job\'s row lock, its owner, the GPU type\'s advisory lock, the type\'s capacities, the best fit (the server\'s `bestFit`), the node\'s row lock, its held indices, the allocation rows, ' +
          'the TRANSITION event and the job\'s update to RUNNING with its drawn run, then COMMIT and the coalesced NOTIFY, then the answer\'s two reads (the job\'s allocation and its node, which the web app\'s selection asks for, through the server\'s own query functions). The allocation\'s texts are imported from the server\'s GpuNodeRepository; the ORM-generated ones are transcribed from PostgreSQL\'s statement log. Named prepared statements.',
        `Reads: \`cluster\` (every pool field) and \`utilization\` of every type (24 h in 96 buckets, 7 d in 168) over HTTP with user tokens, at ${c.readClients.map(clientsLabel).join(' and ')}, ` +
          `with ${num(c.queuedJobs)} approved jobs queued; beside each, the same statement (\`POOLS_SQL\`, \`UTILIZATION_SQL\`, imported) sent straight with \`pg\`.`,
      ],
      tables: [startTable, summary, readTable],
      targets,
      findings,
      evidence: [...evidence, ...(await servers.stopAll())],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await servers.stopAll();
    await db.drop();
    await rawDb.drop();
  }
}
