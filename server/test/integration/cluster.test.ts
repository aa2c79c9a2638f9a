/**
 * The GPU inventory over GraphQL against real PostgreSQL: the first inventory from
 * GPU_INVENTORY, the admins' node operations with their validation and rights, the catalogue
 * that createJob checks, and the reads (`cluster`, `gpuNodes`, `utilization`). Tests that change
 * the inventory work on GPU types and node names of their own, so they share one server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import {
  CLUSTER,
  GPU_NODES,
  GPU_TYPES,
  REMOVE_NODE,
  UTILIZATION,
  addNode,
  addNodeAs,
  allocationOf,
  createJob,
  freshGpuType,
  freshNodeName,
  gpuNodes,
  jobIn,
  mustTransition,
  nodeNamed,
  poolOf,
  runningJob,
  submitJob,
  updateNodeAs,
  type NodeView,
  type PoolView,
} from '../factories.js';
import { TestServer, errorCode, type GqlResponse, type TestUser } from '../harness.js';
import { expectHygienic } from '../hygiene.js';
import { assertQuotaSumRule } from '../invariants.js';

function expectBadInput(res: GqlResponse, field: string, message?: string | RegExp): void {
  expectHygienic(res);
  expect(errorCode(res), JSON.stringify(res.errors)).toBe('BAD_USER_INPUT');
  expect(res.errors![0]!.extensions?.field).toBe(field);
  if (typeof message === 'string') expect(res.errors![0]!.message).toContain(message);
  else if (message) expect(res.errors![0]!.message).toMatch(message);
}

describe('the GPU inventory', () => {
  let server: TestServer;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    // The default inventory: A100:2x8,H100:1x8,L40S:2x4.
    ({ server, admin } = await TestServer.startWithAdmin());
    user = await server.register('viewer');
  });
  afterEach(async () => {
    await assertQuotaSumRule(server.db);
  });
  afterAll(async () => {
    await server.close();
  });

  /** The gpu_nodes table as it is, every column: what a refused operation must leave alone. */
  const nodeRows = async () => (await server.db.query('select * from gpu_nodes order by id')).rows;
  const removeNodeAs = (token: string | undefined, id: string) => server.gql<{ removeGpuNode: boolean }>(REMOVE_NODE, { id }, token);
  const gpuTypes = async () => (await server.gql<{ gpuTypes: string[] }>(GPU_TYPES, {}, user.token)).data!.gpuTypes;

  describe('the first inventory', () => {
    it('should create the nodes GPU_INVENTORY describes at first start, UP and empty', async () => {
      const seeded = (await gpuNodes(server)).filter((n) => /^(a100|h100|l40s)-\d$/.test(n.name));
      expect(seeded.map((n) => [n.name, n.gpuType, n.gpuCount, n.state, n.freeGpus])).toEqual([
        ['a100-1', 'A100', 8, 'UP', 8],
        ['a100-2', 'A100', 8, 'UP', 8],
        ['h100-1', 'H100', 8, 'UP', 8],
        ['l40s-1', 'L40S', 4, 'UP', 4],
        ['l40s-2', 'L40S', 4, 'UP', 4],
      ]);
      expect(await poolOf(server, 'L40S', user)).toMatchObject({ nodes: 2, totalGpus: 8, upGpus: 8 });
    });
  });

  describe('the catalogue', () => {
    it("should list the inventory's GPU types as gpuTypes", async () => {
      const { rows } = await server.db.query<{ gpu_type: string }>(
        'select distinct gpu_type from gpu_nodes where removed_at is null order by gpu_type',
      );
      const types = await gpuTypes();
      expect(types).toEqual(rows.map((r) => r.gpu_type));
      expect(types).toEqual(expect.arrayContaining(['A100', 'H100', 'L40S']));
    });

    it('should refuse a job of a GPU type that has no node, on gpuType', async () => {
      expectBadInput(await createJob(server, user, { gpuType: freshGpuType('V') }), 'gpuType');
    });

    it('should refuse a job larger than the largest node of its type, naming the limit', async () => {
      expectBadInput(await createJob(server, user, { gpuType: 'L40S', gpuCount: 5 }), 'gpuCount', 'the largest L40S node has 4 GPUs');
      expect((await submitJob(server, user, { gpuType: 'L40S', gpuCount: 4 })).gpuCount).toBe(4);
    });
  });

  describe('adding nodes', () => {
    it('should add a node of a new type that jobs can ask for at once', async () => {
      const gpuType = freshGpuType();
      const name = freshNodeName();

      const node = (await addNodeAs(server, admin.token, { name, gpuType, gpuCount: 4 })).data!.addGpuNode;

      expect(node).toMatchObject({ name, gpuType, gpuCount: 4, state: 'UP', freeGpus: 4 });
      expect(node.gpus).toEqual([0, 1, 2, 3].map((index) => ({ index, job: null })));
      expect(await gpuTypes()).toContain(gpuType);
      expect(await poolOf(server, gpuType, user)).toEqual({
        gpuType, nodes: 1, totalGpus: 4, upGpus: 4, allocatedGpus: 0, freeGpus: 4, drainingGpus: 0, largestFreeBlock: 4, largestNodeGpus: 4, queuedJobs: 0, queuedGpus: 0,
      });
      expect((await submitJob(server, user, { gpuType, gpuCount: 4 })).gpuType).toBe(gpuType);
      expectBadInput(await createJob(server, user, { gpuType, gpuCount: 5 }), 'gpuCount', `the largest ${gpuType} node has 4 GPUs`);
    });

    it("should add a node of a known type, whatever its case, to that type's pool", async () => {
      const gpuType = freshGpuType('K');
      await addNode(server, { gpuType, gpuCount: 2 });

      const node = await addNode(server, { gpuType: ` ${gpuType.toLowerCase()} `, gpuCount: 6 });

      expect(node.gpuType).toBe(gpuType);
      expect(await poolOf(server, gpuType)).toMatchObject({ nodes: 2, totalGpus: 8 });
      // The largest node of the type grew, and the catalogue knows it at once.
      expect((await submitJob(server, user, { gpuType, gpuCount: 6 })).gpuCount).toBe(6);
    });

    it('should refuse a bad node, naming the field, and write nothing', async () => {
      const taken = await addNode(server, { gpuType: freshGpuType(), gpuCount: 2 });
      const before = await nodeRows();
      const good = { name: freshNodeName(), gpuType: freshGpuType(), gpuCount: 4 };
      const cases: [Record<string, unknown>, string][] = [
        [{ name: 'Bad_Name' }, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'n'.repeat(64) }, 'name'],
        [{ name: taken.name }, 'name'],
        [{ name: `  ${taken.name} ` }, 'name'],
        [{ name: taken.name.toUpperCase() }, 'name'],
        [{ gpuCount: 0 }, 'gpuCount'],
        [{ gpuCount: 65 }, 'gpuCount'],
        [{ gpuType: 'no spaces' }, 'gpuType'],
        [{ gpuType: '' }, 'gpuType'],
        [{ gpuType: 'X'.repeat(33) }, 'gpuType'],
      ];

      for (const [bad, field] of cases) expectBadInput(await addNodeAs(server, admin.token, { ...good, ...bad }), field);

      expect(await nodeRows()).toEqual(before);
      expect(await gpuTypes()).not.toContain(good.gpuType);
    });
  });

  describe('changing nodes', () => {
    it('should refuse to shrink a node below a GPU in use, naming it, and shrink or grow it otherwise', async () => {
      const gpuType = freshGpuType();
      const node = await addNode(server, { gpuType, gpuCount: 8 });
      const first = await runningJob(server, { gpuType, gpuCount: 2 });
      const second = await runningJob(server, { gpuType, gpuCount: 2 });
      expect([first.allocation?.gpuIndices, second.allocation?.gpuIndices]).toEqual([[0, 1], [2, 3]]);
      const before = await nodeRows();

      expectBadInput(await updateNodeAs(server, admin.token, node.id, { gpuCount: 3 }), 'gpuCount', /\bGPU 3 of .* in use/);
      expectBadInput(await updateNodeAs(server, admin.token, node.id, { gpuCount: 2 }), 'gpuCount', /\bGPUs 2, 3 of .* in use/);
      expectBadInput(await updateNodeAs(server, admin.token, node.id, { gpuCount: 0 }), 'gpuCount');
      expectBadInput(await updateNodeAs(server, admin.token, node.id, { gpuCount: 65 }), 'gpuCount');
      expect(await nodeRows()).toEqual(before);

      const shrunk = (await updateNodeAs(server, admin.token, node.id, { gpuCount: 4 })).data!.updateGpuNode;
      expect(shrunk).toMatchObject({ gpuCount: 4, freeGpus: 0 });
      expect(shrunk.gpus.map((g) => g.job?.id)).toEqual([first.id, first.id, second.id, second.id]);
      const grown = (await updateNodeAs(server, admin.token, node.id, { gpuCount: 12 })).data!.updateGpuNode;
      expect(grown).toMatchObject({ gpuCount: 12, freeGpus: 8 });
      expect(await poolOf(server, gpuType)).toMatchObject({ totalGpus: 12, allocatedGpus: 4, freeGpus: 8, largestFreeBlock: 8 });
    });

    it('should answer NOT_FOUND for a node that does not exist', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
        expect(errorCode(await updateNodeAs(server, admin.token, id, { state: 'DRAINING' }))).toBe('NOT_FOUND');
        expect(errorCode(await removeNodeAs(admin.token, id))).toBe('NOT_FOUND');
      }
    });
  });

  describe('removing nodes', () => {
    it('should refuse to remove a node while a job runs there, and remove it once empty, keeping its jobs history', async () => {
      const gpuType = freshGpuType();
      const node = await addNode(server, { gpuType, gpuCount: 4 });
      const job = await runningJob(server, { gpuType, gpuCount: 2 });
      const before = await nodeRows();

      expectBadInput(await removeNodeAs(admin.token, node.id), 'id', new RegExp(`node ${node.name} runs 1 job`));
      expect(await nodeRows()).toEqual(before);
      expect(await nodeNamed(server, node.name)).toBeDefined();

      await mustTransition(server, 'complete', job.id, admin.token);
      expect((await removeNodeAs(admin.token, node.id)).data).toEqual({ removeGpuNode: true });

      expect(await nodeNamed(server, node.name)).toBeUndefined();
      expect(await poolOf(server, gpuType)).toBeUndefined();
      expect(await gpuTypes()).not.toContain(gpuType);
      expectBadInput(await createJob(server, user, { gpuType }), 'gpuType');
      expect(errorCode(await removeNodeAs(admin.token, node.id))).toBe('NOT_FOUND');
      expect(await allocationOf(server, job.id)).toEqual({ node: { id: node.id, name: node.name }, gpuIndices: [0, 1] });

      // The name is free again, for a new node.
      const again = await addNode(server, { name: node.name, gpuType, gpuCount: 2 });
      expect(again.id).not.toBe(node.id);
      expect(await allocationOf(server, job.id)).toEqual({ node: { id: node.id, name: node.name }, gpuIndices: [0, 1] });
    });
  });

  describe('rights', () => {
    it('should refuse every inventory operation to users (FORBIDDEN) and to anonymous callers (UNAUTHENTICATED), changing nothing', async () => {
      const node = await addNode(server, { gpuType: freshGpuType(), gpuCount: 2 });
      const before = await nodeRows();
      const attempts = (token: string | undefined): Promise<GqlResponse>[] => [
        addNodeAs(server, token, { name: freshNodeName(), gpuType: freshGpuType(), gpuCount: 2 }),
        updateNodeAs(server, token, node.id, { state: 'DOWN' }),
        updateNodeAs(server, token, node.id, { gpuCount: 1 }),
        removeNodeAs(token, node.id),
        server.gql(GPU_NODES, {}, token),
      ];

      for (const res of await Promise.all(attempts(user.token))) {
        expectHygienic(res);
        expect(errorCode(res), JSON.stringify(res.errors)).toBe('FORBIDDEN');
      }
      for (const res of await Promise.all(attempts(undefined))) expect(errorCode(res), JSON.stringify(res.errors)).toBe('UNAUTHENTICATED');
      const now = new Date();
      for (const res of [
        await server.gql(CLUSTER),
        await server.gql(UTILIZATION, { from: new Date(now.getTime() - 3_600_000), to: now, buckets: 4 }),
      ]) {
        expect(errorCode(res)).toBe('UNAUTHENTICATED');
      }
      expect(await nodeRows()).toEqual(before);
    });
  });

  describe('reading the cluster', () => {
    it('should show an admin every GPU of a node with the job holding it', async () => {
      const gpuType = freshGpuType();
      const node = await addNode(server, { gpuType, gpuCount: 4 });
      const owner = await server.register('holder');
      const job = await runningJob(server, { owner, gpuType, gpuCount: 2, name: 'holds two' });

      const seen = (await gpuNodes(server)).find((n) => n.id === node.id)!;

      const holding = { id: job.id, name: 'holds two', owner: { email: owner.email } };
      expect(seen.gpus).toEqual([
        { index: 0, job: holding },
        { index: 1, job: holding },
        { index: 2, job: null },
        { index: 3, job: null },
      ]);
      expect(seen.freeGpus).toBe(2);
    });

    it('should show any signed-in user each pool with its queue of approved jobs', async () => {
      const gpuType = freshGpuType();
      await addNode(server, { gpuType, gpuCount: 8 });
      await addNode(server, { gpuType, gpuCount: 4 });
      await runningJob(server, { gpuType, gpuCount: 3 });
      await jobIn(server, JobStatus.APPROVED, { gpuType, gpuCount: 2 });
      await jobIn(server, JobStatus.APPROVED, { gpuType, gpuCount: 3 });
      await jobIn(server, JobStatus.PENDING, { gpuType, gpuCount: 4 });

      const res = await server.gql<{ cluster: PoolView[] }>(CLUSTER, {}, user.token);

      expect(res.errors).toBeUndefined();
      // Three GPUs fit the 4-GPU node best, leaving the 8-GPU node whole.
      expect(res.data!.cluster.find((p) => p.gpuType === gpuType)).toEqual({
        gpuType, nodes: 2, totalGpus: 12, upGpus: 12, allocatedGpus: 3, freeGpus: 9, drainingGpus: 0, largestFreeBlock: 8, largestNodeGpus: 8, queuedJobs: 2, queuedGpus: 5,
      });
      const types = res.data!.cluster.map((p) => p.gpuType);
      expect(types).toEqual([...types].sort());
    });

    it('should average the GPUs allocated over each bucket of a window, from allocation start and end times', async () => {
      const gpuType = freshGpuType();
      const otherType = freshGpuType();
      const node: NodeView = await addNode(server, { gpuType, gpuCount: 8 });
      const other = await addNode(server, { gpuType: otherType, gpuCount: 2 });
      const [a, b, c] = await Promise.all([
        submitJob(server, user, { gpuType, gpuCount: 2, hours: 1 }),
        submitJob(server, user, { gpuType, gpuCount: 4, hours: 1 }),
        submitJob(server, user, { gpuType: otherType, gpuCount: 1, hours: 1 }),
      ]);
      // A past window of four hours that no other test touches.
      const t0 = Date.parse('2020-03-01T00:00:00Z');
      const at = (hours: number) => new Date(t0 + hours * 3_600_000);
      const held: [string, string, number, number, number][] = [
        [a.id, node.id, 2, 0.5, 2.5], // 2 GPUs from 00:30 to 02:30
        [b.id, node.id, 4, -1, 1], // 4 GPUs from before the window to 01:00
        [c.id, other.id, 1, 3, 5], // another type: 1 GPU from 03:00 to after the window
      ];
      for (const [jobId, nodeId, gpus, from, to] of held) {
        await server.db.query(
          `insert into gpu_allocations (job_id, gpu_index, node_id, allocated_at, released_at)
           select $1, i, $2, $3, $4 from generate_series(0, $5::int - 1) as i`,
          [jobId, nodeId, at(from), at(to), gpus],
        );
      }
      const utilization = async (type: string | null) => {
        const res = await server.gql<{ utilization: { at: string; allocatedGpus: number; capacityGpus: number }[] }>(
          UTILIZATION,
          { gpuType: type, from: at(0).toISOString(), to: at(4).toISOString(), buckets: 4 },
          user.token,
        );
        expect(res.errors).toBeUndefined();
        return res.data!.utilization;
      };

      const ofType = await utilization(gpuType);

      expect(ofType.map((p) => p.at)).toEqual([0, 1, 2, 3].map((h) => at(h).toISOString()));
      // 00–01: 4 GPUs all hour and 2 for half of it; 01–02: 2; 02–03: 2 for half an hour; 03–04: none.
      expect(ofType.map((p) => p.allocatedGpus)).toEqual([5, 2, 1, 0]);
      expect(ofType.map((p) => p.capacityGpus)).toEqual([8, 8, 8, 8]);
      expect((await utilization(gpuType.toLowerCase())).map((p) => p.allocatedGpus)).toEqual([5, 2, 1, 0]);
      expect((await utilization(otherType)).map((p) => p.allocatedGpus)).toEqual([0, 0, 0, 1]);
      expect((await utilization(null)).map((p) => p.allocatedGpus)).toEqual([5, 2, 1, 1]);
    });

    it('should refuse a utilization window that is empty, too finely or not at all divided, or of an unknown type', async () => {
      const from = new Date('2024-01-01T00:00:00Z');
      const to = new Date('2024-01-02T00:00:00Z');
      const cases: [Record<string, unknown>, string][] = [
        [{ from: to, to: from }, 'to'],
        [{ from, to: from }, 'to'],
        [{ buckets: 0 }, 'buckets'],
        [{ buckets: 1001 }, 'buckets'],
        [{ gpuType: freshGpuType('U') }, 'gpuType'],
      ];
      for (const [bad, field] of cases) {
        expectBadInput(await server.gql(UTILIZATION, { from, to, buckets: 24, ...bad }, user.token), field);
      }
    });
  });
});
