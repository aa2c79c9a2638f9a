/**
 * GPU allocation over GraphQL against real PostgreSQL: starts take GPUs of one UP node (the best
 * fit, or the node asked for), concurrent starts never share a GPU, every way a job finishes
 * gives its GPUs back in the transaction that finishes it, and draining or downing a node does
 * what the README says. Each test works on a GPU type of its own, so tests share one server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import {
  JOB,
  RUN_OUTCOMES,
  addNode,
  allocationOf,
  countOf,
  freshGpuType,
  gpusHeldTwice,
  heldBy,
  jobIn,
  mustTransition,
  nodeNamed,
  poolOf,
  runningJob,
  startJob,
  terminalTransitions,
  updateNode,
  waitUntil,
  type JobView,
  type NodeView,
  type PoolView,
} from '../factories.js';
import { TestServer, errorCode, type GqlResponse, type TestUser } from '../harness.js';
import { expectHygienic } from '../hygiene.js';
import { assertQuotaSumRule } from '../invariants.js';
import { JOB_CHANGES, Subscription, connect, type Change } from '../ws-client.js';

/** Real seconds per simulated hour: a few hundred milliseconds of running is worth charging. */
const SECONDS_PER_HOUR = 0.5;

/** How long a test lets jobs run before they are ended, so they have hours to be charged for. */
const RUN_MS = 300;

/** The extensions of a refused start, as `INSUFFICIENT_CAPACITY` carries them. */
function expectInsufficient(res: GqlResponse, numbers: { gpuType: string; requested: number; freeOnBestNode: number; freeTotal: number }): void {
  expectHygienic(res);
  expect(errorCode(res), JSON.stringify(res.errors)).toBe('INSUFFICIENT_CAPACITY');
  expect(res.errors![0]!.extensions).toMatchObject(numbers);
}

function expectBadInput(res: GqlResponse, field: string): void {
  expectHygienic(res);
  expect(errorCode(res), JSON.stringify(res.errors)).toBe('BAD_USER_INPUT');
  expect(res.errors![0]!.extensions?.field).toBe(field);
}

/** The pool's own arithmetic: every GPU of a node that is not DOWN is free, held or draining. */
function expectPoolAddsUp(pool: PoolView): void {
  expect(pool.freeGpus + pool.allocatedGpus + pool.drainingGpus).toBe(pool.upGpus);
}

/** What a job that ran from startedAt to finishedAt is charged: gpuCount × hours run, at most its reservation. */
function expectedCharge(job: JobView): number {
  const hoursRun = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000 / SECONDS_PER_HOUR;
  return Math.min(job.gpuHours, job.gpuCount * hoursRun);
}

describe('GPU allocation', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    // No simulator runs (role api): only the tests move jobs, and a charge is the wall-clock time run.
    ({ server, admin } = await TestServer.startWithAdmin({ SIM_SECONDS_PER_HOUR: String(SECONDS_PER_HOUR) }));
  });
  afterEach(async () => {
    await assertQuotaSumRule(server.db);
    expect(await gpusHeldTwice(server.db), 'GPUs held by two unfinished jobs').toEqual([]);
  });
  afterAll(async () => {
    await server.close();
  });

  const jobOf = async (id: string): Promise<JobView> => (await server.gql<{ job: JobView }>(JOB, { id }, admin.token)).data!.job;
  const eventCount = (ids: string[]) => countOf(server.db, 'select count(*)::int as n from job_events where job_id = any($1::uuid[])', [ids]);

  describe('concurrent starts', () => {
    it('should start exactly 4 of 20 simultaneous 2-GPU starts on one 8-GPU node and refuse 16 with INSUFFICIENT_CAPACITY', async () => {
      const gpuType = freshGpuType();
      const node = await addNode(server, { gpuType, gpuCount: 8 });
      const owners = await Promise.all([0, 1, 2, 3].map(() => server.register('race')));
      const jobs = await Promise.all(
        Array.from({ length: 20 }, (_, i) => jobIn(server, JobStatus.APPROVED, { owner: owners[i % 4], gpuType, gpuCount: 2, hours: 1, name: `race-${i}` })),
      );
      const eventsBefore = new Map(await Promise.all(jobs.map(async (j) => [j.id, await eventCount([j.id])] as const)));

      const answers = await Promise.all(jobs.map((j) => startJob(server, j.id, admin.token)));

      const started = jobs.filter((_, i) => answers[i]!.errors === undefined);
      const refused = jobs.filter((_, i) => answers[i]!.errors !== undefined);
      expect(started).toHaveLength(4);
      expect(refused).toHaveLength(16);
      for (const res of answers.filter((r) => r.errors !== undefined)) {
        // Starts of a type take turns, so every refused one saw the node full: none free anywhere.
        expectInsufficient(res, { gpuType, requested: 2, freeOnBestNode: 0, freeTotal: 0 });
      }
      for (const res of answers.filter((r) => r.errors === undefined)) {
        expect(res.data!.job).toMatchObject({ status: 'RUNNING', allocation: { node: { id: node.id, name: node.name } } });
      }

      // The refused jobs are as they were: still APPROVED, never started, no event written.
      const refusedRows = (await server.db.query<{ id: string; status: string; started_at: Date | null }>(
        'select id, status, started_at from jobs where id = any($1::uuid[])',
        [refused.map((j) => j.id)],
      )).rows;
      expect(refusedRows.map((r) => [r.status, r.started_at])).toEqual(refused.map(() => ['APPROVED', null]));
      for (const job of refused) expect(await eventCount([job.id])).toBe(eventsBefore.get(job.id));
      expect(await countOf(server.db, 'select count(*)::int as n from gpu_allocations where job_id = any($1::uuid[])', [refused.map((j) => j.id)])).toBe(0);

      // Every started job holds two GPUs of the node, and together they hold each GPU once.
      const held = await heldBy(server.db, started.map((j) => j.id));
      const indices: number[] = [];
      for (const job of started) {
        expect(held.get(job.id), job.id).toEqual([{ nodeId: node.id, indices: expect.any(Array) }]);
        expect(held.get(job.id)![0]!.indices).toHaveLength(2);
        indices.push(...held.get(job.id)![0]!.indices);
      }
      expect(indices.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

      const pool = await poolOf(server, gpuType);
      expect(pool).toMatchObject({ nodes: 1, totalGpus: 8, upGpus: 8, allocatedGpus: 8, freeGpus: 0, largestFreeBlock: 0, queuedJobs: 16, queuedGpus: 32 });
    });
  });

  describe('placement', () => {
    it('should start a job on the UP node with the fewest free GPUs that fits, or on the node asked for', async () => {
      const gpuType = freshGpuType();
      const big = await addNode(server, { gpuType, gpuCount: 8 });
      const small = await addNode(server, { gpuType, gpuCount: 4 });
      const busy = await addNode(server, { gpuType, gpuCount: 8 });
      const filler = await runningJob(server, { gpuType, gpuCount: 6, nodeId: busy.id });
      expect(filler.allocation).toEqual({ node: { id: busy.id, name: busy.name }, gpuIndices: [0, 1, 2, 3, 4, 5] });

      // Free: big 8, small 4, busy 2. Two GPUs fit busy best; three fit small best.
      const two = await runningJob(server, { gpuType, gpuCount: 2 });
      expect(two.allocation).toEqual({ node: { id: busy.id, name: busy.name }, gpuIndices: [6, 7] });
      const three = await runningJob(server, { gpuType, gpuCount: 3 });
      expect(three.allocation).toEqual({ node: { id: small.id, name: small.name }, gpuIndices: [0, 1, 2] });

      // One GPU would fit small best (1 free), but the admin chose big.
      const chosen = await runningJob(server, { gpuType, gpuCount: 1, nodeId: big.id });
      expect(chosen.allocation).toEqual({ node: { id: big.id, name: big.name }, gpuIndices: [0] });
      const one = await runningJob(server, { gpuType, gpuCount: 1 });
      expect(one.allocation).toEqual({ node: { id: small.id, name: small.name }, gpuIndices: [3] });

      expect(await poolOf(server, gpuType)).toMatchObject({ totalGpus: 20, allocatedGpus: 13, freeGpus: 7, largestFreeBlock: 7 });
    });

    it('should refuse a nodeId of another type or of no node with BAD_USER_INPUT on nodeId, starting nothing', async () => {
      const gpuType = freshGpuType();
      await addNode(server, { gpuType, gpuCount: 4 });
      const other = await addNode(server, { gpuType: freshGpuType(), gpuCount: 4 });
      const job = await jobIn(server, JobStatus.APPROVED, { gpuType, gpuCount: 1 });

      for (const nodeId of [other.id, '00000000-0000-4000-8000-000000000000', 'not-a-node']) {
        expectBadInput(await startJob(server, job.id, admin.token, nodeId), 'nodeId');
      }

      expect((await jobOf(job.id)).status).toBe('APPROVED');
      expect(await allocationOf(server, job.id)).toBeNull();
      expect((await nodeNamed(server, other.name))!.freeGpus).toBe(4);
    });

    it('should refuse a start on a DRAINING or a full node with INSUFFICIENT_CAPACITY', async () => {
      const gpuType = freshGpuType();
      const full = await addNode(server, { gpuType, gpuCount: 2 });
      const draining = await addNode(server, { gpuType, gpuCount: 4 });
      const spare = await addNode(server, { gpuType, gpuCount: 4 });
      await runningJob(server, { gpuType, gpuCount: 2, nodeId: full.id });
      await updateNode(server, draining.id, { state: 'DRAINING' });
      const job = await jobIn(server, JobStatus.APPROVED, { gpuType, gpuCount: 2 });

      // The numbers are those of the node asked for, and of the type's UP nodes in all.
      expectInsufficient(await startJob(server, job.id, admin.token, full.id), { gpuType, requested: 2, freeOnBestNode: 0, freeTotal: 4 });
      expectInsufficient(await startJob(server, job.id, admin.token, draining.id), { gpuType, requested: 2, freeOnBestNode: 0, freeTotal: 4 });
      expect((await jobOf(job.id)).status).toBe('APPROVED');

      const started = await startJob(server, job.id, admin.token);
      expect(started.data?.job.allocation?.node.id).toBe(spare.id);
    });

    it('should show where a job runs to its owner and to admins: nothing before the start, and the same after it ends', async () => {
      const gpuType = freshGpuType();
      const node = await addNode(server, { gpuType, gpuCount: 4 });
      const owner = await server.register('where');
      const stranger = await server.register('stranger');
      const job = await jobIn(server, JobStatus.APPROVED, { owner, gpuType, gpuCount: 3 });
      expect(await allocationOf(server, job.id, owner.token)).toBeNull();

      await startJob(server, job.id, admin.token);
      const expected = { node: { id: node.id, name: node.name }, gpuIndices: [0, 1, 2] };
      expect(await allocationOf(server, job.id, owner.token)).toEqual(expected);
      expect(await allocationOf(server, job.id, admin.token)).toEqual(expected);
      await expect(allocationOf(server, job.id, stranger.token)).rejects.toThrow(/NOT_FOUND/);

      await mustTransition(server, 'complete', job.id, admin.token);
      // The job's history keeps its place; the GPUs themselves are free again.
      expect(await allocationOf(server, job.id, owner.token)).toEqual(expected);
      expect((await nodeNamed(server, node.name))!.freeGpus).toBe(4);
    });
  });

  describe('finishing', () => {
    /** Each way a running job ends through the API: who ends it, and the status it ends in. */
    const ENDINGS = [
      { how: 'completed by an admin', action: 'complete', by: 'admin', status: 'COMPLETED' },
      { how: 'failed by an admin', action: 'fail', by: 'admin', status: 'FAILED' },
      { how: 'cancelled by an admin', action: 'cancel', by: 'admin', status: 'CANCELLED' },
      { how: 'cancelled by its owner', action: 'cancel', by: 'owner', status: 'CANCELLED' },
    ] as const;

    it.each(ENDINGS)('should free the GPUs of a running job $how in the transaction that ends it', async ({ action, by, status }) => {
      const gpuType = freshGpuType();
      const node = await addNode(server, { gpuType, gpuCount: 4 });
      const owner = await server.register('ending');
      const job = await runningJob(server, { owner, gpuType, gpuCount: 3, hours: 10 });
      expect((await poolOf(server, gpuType))!.freeGpus).toBe(1);
      await sleep(RUN_MS);

      const ended = await mustTransition(server, action, job.id, by === 'admin' ? admin.token : owner.token);

      expect(ended.status).toBe(status);
      expect(ended.chargedGpuHours).toBeGreaterThan(0);
      expect(ended.chargedGpuHours).toBeCloseTo(expectedCharge(ended), 3);
      expect((await nodeNamed(server, node.name))!.gpus.map((g) => g.job)).toEqual([null, null, null, null]);
      const pool = (await poolOf(server, gpuType))!;
      expect(pool).toMatchObject({ allocatedGpus: 0, freeGpus: 4 });
      expectPoolAddsUp(pool);
      // Released at the very moment the job finished: the same transaction wrote both.
      const { rows } = await server.db.query<{ same: boolean }>(
        `select a.released_at = j.finished_at as same from gpu_allocations a join jobs j on j.id = a.job_id where a.job_id = $1`,
        [job.id],
      );
      expect(rows.map((r) => r.same)).toEqual([true, true, true]);
    });
  });

  describe('node DOWN', () => {
    it('should fail each job running on a node marked DOWN once, charged and told, freeing its GPUs and leaving other nodes alone', async () => {
      const gpuType = freshGpuType();
      const x = await addNode(server, { gpuType, gpuCount: 8 });
      const y = await addNode(server, { gpuType, gpuCount: 8 });
      const ws = connect(server.url, admin.token);
      try {
        await ws.connected;
        const sub = new Subscription<Change>(ws.client, JOB_CHANGES);
        await server.untilSubscriptions(1);
        const onX = [
          await runningJob(server, { gpuType, gpuCount: 2, hours: 10, nodeId: x.id }),
          await runningJob(server, { gpuType, gpuCount: 3, hours: 10, nodeId: x.id }),
        ];
        const onY = await runningJob(server, { gpuType, gpuCount: 2, hours: 10, nodeId: y.id });
        await sleep(RUN_MS);

        const down = await updateNode(server, x.id, { state: 'DOWN' });

        expect(down).toMatchObject({ state: 'DOWN', freeGpus: 0 });
        expect(down.gpus.every((g) => g.job === null)).toBe(true);
        for (const { id } of onX) {
          const job = await jobOf(id);
          expect(job).toMatchObject({ status: 'FAILED', statusReason: `node ${x.name} went down` });
          expect(job.chargedGpuHours).toBeGreaterThan(0);
          expect(job.chargedGpuHours).toBeLessThanOrEqual(job.gpuHours);
          expect(job.chargedGpuHours).toBeCloseTo(expectedCharge(job), 3);
          expect(job.events.filter((e) => e.to === 'FAILED')).toEqual([
            expect.objectContaining({ from: 'RUNNING', actor: { id: admin.id }, reason: `node ${x.name} went down` }),
          ]);
        }
        expect(await terminalTransitions(server.db, onX.map((j) => j.id))).toEqual(
          onX.map((j) => ({ job_id: j.id, n: 1 })).sort((a, b) => a.job_id.localeCompare(b.job_id)),
        );
        expect((await heldBy(server.db, onX.map((j) => j.id))).size).toBe(0);
        // Freed at the moment each job failed: the transaction that marked the node DOWN did both.
        expect(
          await countOf(server.db, 'select count(*)::int as n from gpu_allocations a join jobs j on j.id = a.job_id where a.job_id = any($1::uuid[]) and a.released_at = j.finished_at', [onX.map((j) => j.id)]),
        ).toBe(5);

        const failedOf = (changes: Change[], id: string) =>
          changes.filter((c) => c.jobStatusChanged.job.id === id && c.jobStatusChanged.status === 'FAILED');
        await sub.until((changes) => onX.every((j) => failedOf(changes, j.id).length > 0));
        for (const j of onX) expect(failedOf(sub.received, j.id)).toHaveLength(1);

        expect((await jobOf(onY.id)).status).toBe('RUNNING');
        expect((await heldBy(server.db, [onY.id])).get(onY.id)).toEqual([{ nodeId: y.id, indices: [0, 1] }]);
        const pool = (await poolOf(server, gpuType))!;
        expect(pool).toMatchObject({ totalGpus: 16, upGpus: 8, allocatedGpus: 2, freeGpus: 6, drainingGpus: 0 });
        expectPoolAddsUp(pool);
      } finally {
        await ws.client.dispose();
      }
    });

    it('should do nothing when a DOWN node is marked DOWN again, and take jobs again once UP', async () => {
      const gpuType = freshGpuType();
      const x = await addNode(server, { gpuType, gpuCount: 4 });
      const job = await runningJob(server, { gpuType, gpuCount: 2, hours: 10, nodeId: x.id });
      await updateNode(server, x.id, { state: 'DOWN' });
      const failed = await jobOf(job.id);
      const events = await eventCount([job.id]);

      expect(await updateNode(server, x.id, { state: 'DOWN' })).toMatchObject({ state: 'DOWN', freeGpus: 0 });
      expect(await jobOf(job.id)).toEqual(failed);
      expect(await eventCount([job.id])).toBe(events);
      const next = await jobIn(server, JobStatus.APPROVED, { gpuType, gpuCount: 2 });
      expectInsufficient(await startJob(server, next.id, admin.token), { gpuType, requested: 2, freeOnBestNode: 0, freeTotal: 0 });

      expect(await updateNode(server, x.id, { state: 'UP' })).toMatchObject({ state: 'UP', freeGpus: 4 });
      expect((await poolOf(server, gpuType))!).toMatchObject({ upGpus: 4, freeGpus: 4, allocatedGpus: 0 });
      const started = await startJob(server, next.id, admin.token);
      expect(started.data?.job.allocation).toEqual({ node: { id: x.id, name: x.name }, gpuIndices: [0, 1] });
    });
  });

  describe('DRAINING', () => {
    it('should keep jobs running on a DRAINING node, start new ones elsewhere, and count its free GPUs as draining', async () => {
      const gpuType = freshGpuType();
      const drained = await addNode(server, { gpuType, gpuCount: 8 });
      const spare = await addNode(server, { gpuType, gpuCount: 3 });
      const running = await runningJob(server, { gpuType, gpuCount: 6, hours: 10, nodeId: drained.id });
      expect((await poolOf(server, gpuType))!.drainingGpus).toBe(0);

      const node: NodeView = await updateNode(server, drained.id, { state: 'DRAINING' });

      expect(node).toMatchObject({ state: 'DRAINING', freeGpus: 0 });
      expect(node.gpus.filter((g) => g.job?.id === running.id).map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect((await jobOf(running.id)).status).toBe('RUNNING');
      // Two GPUs would fit the drained node best (2 free against 3): it is skipped.
      const elsewhere = await runningJob(server, { gpuType, gpuCount: 2 });
      expect(elsewhere.allocation).toEqual({ node: { id: spare.id, name: spare.name }, gpuIndices: [0, 1] });
      // Two more fit only the drained node now.
      const stuck = await jobIn(server, JobStatus.APPROVED, { gpuType, gpuCount: 2 });
      expectInsufficient(await startJob(server, stuck.id, admin.token), { gpuType, requested: 2, freeOnBestNode: 1, freeTotal: 1 });
      let pool = (await poolOf(server, gpuType))!;
      expect(pool).toMatchObject({ upGpus: 11, allocatedGpus: 8, freeGpus: 1, drainingGpus: 2, largestFreeBlock: 1 });
      expectPoolAddsUp(pool);

      await mustTransition(server, 'complete', running.id, admin.token);
      pool = (await poolOf(server, gpuType))!;
      expect(pool).toMatchObject({ allocatedGpus: 2, freeGpus: 1, drainingGpus: 8 });
      expectPoolAddsUp(pool);
    });
  });
});

describe('GPU allocation with the simulator', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    // Every run fails (success rate 0), a simulated hour lasts 50 ms and the simulator ticks every
    // 50 ms; the seed makes the draws the same in every run.
    ({ server, admin } = await TestServer.startWithAdmin(
      { SIM_SECONDS_PER_HOUR: '0.05', SIM_TICK_MS: '50', SIM_SUCCESS_RATE: '0', SIM_SEED: 'gpu-allocation' },
      { role: 'all' },
    ));
  });
  afterEach(async () => {
    await assertQuotaSumRule(server.db);
    expect(await gpusHeldTwice(server.db), 'GPUs held by two unfinished jobs').toEqual([]);
  });
  afterAll(async () => {
    await server.close();
  });

  async function finished(id: string): Promise<JobView & { allocation: { node: { name: string }; gpuIndices: number[] } }> {
    return waitUntil(
      async () => {
        const res = await server.gql<{ job: JobView & { allocation: { node: { name: string }; gpuIndices: number[] } } }>(
          `query ($id: ID!) { job(id: $id) { id status statusReason finishedAt allocation { node { name } gpuIndices } } }`,
          { id },
          admin.token,
        );
        return RUN_OUTCOMES.includes(res.data?.job.status ?? '') ? res.data!.job : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: `job ${id} to finish` },
    );
  }

  it('should free the GPUs of a job the simulator ends', async () => {
    const gpuType = freshGpuType();
    const node = await addNode(server, { gpuType, gpuCount: 4 });
    const job = await runningJob(server, { gpuType, gpuCount: 4, hours: 1 });
    expect(job.allocation?.node.id).toBe(node.id);

    await finished(job.id);

    expect((await nodeNamed(server, node.name))!.gpus.map((g) => g.job)).toEqual([null, null, null, null]);
    expect((await poolOf(server, gpuType))!).toMatchObject({ allocatedGpus: 0, freeGpus: 4 });
    expect(
      await countOf(server.db, 'select count(*)::int as n from gpu_allocations a join jobs j on j.id = a.job_id where a.job_id = $1 and a.released_at = j.finished_at', [job.id]),
    ).toBe(4);
  });

  it("should name only the job's own GPUs and node in the simulator's failure reasons", async () => {
    const gpuType = freshGpuType();
    await addNode(server, { gpuType, gpuCount: 16 });
    // Long enough (up to 1 s) that several hold GPUs at once, so their indices differ.
    const jobs: { id: string }[] = [];
    for (let i = 0; i < 8; i++) jobs.push(await runningJob(server, { gpuType, gpuCount: 2, hours: 20, name: `doomed-${i}` }));

    const ends = await Promise.all(jobs.map((j) => finished(j.id)));

    let namingGpus = 0;
    for (const job of ends) {
      expect(job.status).toBe('FAILED');
      expect(job.allocation.gpuIndices).toHaveLength(2);
      for (const [, gpu] of job.statusReason!.matchAll(/\bGPU (\d+)/g)) {
        namingGpus += 1;
        expect(job.allocation.gpuIndices, job.statusReason!).toContain(Number(gpu));
      }
      const node = /node lost: (\S+)|killed: (\S+) out of host memory/.exec(job.statusReason!);
      if (node) expect(node[1] ?? node[2]).toBe(job.allocation.node.name);
    }
    // Half the reasons name a GPU: with the seed, some of these eight do.
    expect(namingGpus).toBeGreaterThan(0);
  });
});

describe('running jobs that predate the inventory', () => {
  it('should place them on the best fit at start-up, and leave those that fit nowhere unplaced to finish normally', async () => {
    const env = { SIM_SECONDS_PER_HOUR: String(SECONDS_PER_HOUR) };
    let server = await TestServer.start({ ...env, GPU_INVENTORY: 'A100:1x8,H100:1x8' });
    try {
      const big = await runningJob(server, { gpuType: 'A100', gpuCount: 4, hours: 10 });
      const small = await runningJob(server, { gpuType: 'A100', gpuCount: 2, hours: 10 });
      const huge = await runningJob(server, { gpuType: 'H100', gpuCount: 8, hours: 10 });
      // As if the inventory's tables were new: the jobs run, but hold no GPU and no node exists.
      await server.db.query('delete from gpu_allocations');
      await server.db.query('delete from gpu_nodes');

      server = await server.restart({ ...env, GPU_INVENTORY: 'A100:1x8,A100:1x4,H100:1x4' });

      // Oldest start first: four A100 fit a100-2 (4 free) best, then two fit a100-1; eight H100 fit nowhere.
      expect(await allocationOf(server, big.id)).toEqual({ node: { id: expect.any(String), name: 'a100-2' }, gpuIndices: [0, 1, 2, 3] });
      expect(await allocationOf(server, small.id)).toEqual({ node: { id: expect.any(String), name: 'a100-1' }, gpuIndices: [0, 1] });
      expect(await allocationOf(server, huge.id)).toBeNull();
      expect((await poolOf(server, 'A100'))!).toMatchObject({ totalGpus: 12, allocatedGpus: 6, freeGpus: 6 });
      expect((await poolOf(server, 'H100'))!).toMatchObject({ totalGpus: 4, allocatedGpus: 0, freeGpus: 4 });
      const placedAt = (await server.db.query<{ same: boolean }>(
        'select a.allocated_at = j.started_at as same from gpu_allocations a join jobs j on j.id = a.job_id where a.job_id = $1',
        [big.id],
      )).rows;
      expect(placedAt.map((r) => r.same)).toEqual([true, true, true, true]);

      await sleep(RUN_MS);
      const admin = await server.loginAdmin();
      const ended = await mustTransition(server, 'complete', huge.id, admin.token);
      expect(ended.status).toBe('COMPLETED');
      expect(ended.chargedGpuHours).toBeGreaterThan(0);
      expect(ended.chargedGpuHours).toBeCloseTo(expectedCharge(ended), 3);
      expect((await poolOf(server, 'H100'))!).toMatchObject({ allocatedGpus: 0, freeGpus: 4 });

      await mustTransition(server, 'complete', big.id, admin.token);
      expect((await poolOf(server, 'A100'))!).toMatchObject({ allocatedGpus: 2, freeGpus: 10 });
      await assertQuotaSumRule(server.db);
      expect(await gpusHeldTwice(server.db)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
