/**
 * Property-based test of GPU capacity: random sequences of submissions, starts (best fit or on
 * a chosen node), completions, failures, cancellations, drains, DOWN and UP, node additions,
 * removals and resizes, driven through GraphQL against one server. After every step the
 * capacity invariants (`capacity-invariants.ts`) and the quota sum rule must hold, every refusal
 * must be one of the expected ones and right by the state before the step, and every success
 * must do what its command says and nothing else.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES, JobStatus } from '../../src/modules/jobs/job-status.js';
import {
  assertCapacityInvariants,
  freeOnNode,
  heldSlots,
  readCapacity,
  type CapacitySnapshot,
  type JobRow,
  type NodeRow,
} from '../capacity-invariants.js';
import { REMOVE_NODE, addNodeAs, createJob, mustTransition, startJob, transition, updateNodeAs, type StartedJob } from '../factories.js';
import { TestServer, errorCode, type GqlResponse, type TestUser } from '../harness.js';
import { expectHygienic } from '../hygiene.js';
import { assertQuotaSumRule } from '../invariants.js';

/** Refusals a valid command may get: anything else (a 500, FORBIDDEN, NOT_FOUND…) is a bug. */
const EXPECTED_REFUSALS = ['INSUFFICIENT_CAPACITY', 'BAD_USER_INPUT', 'INVALID_TRANSITION'];

const NUM_RUNS = 15;
const MAX_STEPS = 25;
/**
 * To replay a failure, set this to the `seed` and `path` fast-check printed with it, e.g.
 * `{ seed: -1819918769, path: '3:1:0', endOnFailure: true }`: the same commands run again, shrunk.
 */
const REPLAY: { seed?: number; path?: string; endOnFailure?: boolean } = {};

type NodeState = 'UP' | 'DRAINING' | 'DOWN';

/**
 * One step. Jobs and nodes are named by a number taken modulo the candidates at that moment, so
 * any sequence is meaningful whatever the steps before it did. `stale` picks among every job (and
 * for a start, every node) of the run instead of those the action fits, to try what the
 * lifecycle refuses and nodes of another type.
 */
type Command =
  | { kind: 'submit'; type: number; gpuCount: number }
  | { kind: 'start'; job: number; stale: boolean; node: number | null }
  | { kind: 'complete' | 'fail' | 'cancel'; job: number; stale: boolean }
  | { kind: 'state'; node: number; state: NodeState }
  | { kind: 'add'; type: number; gpuCount: number }
  | { kind: 'remove'; node: number }
  | { kind: 'resize'; node: number; gpuCount: number };

/** Largest node of the configured inventory: jobs ask for 1 to this many GPUs. */
const LARGEST = 4;
const stale = fc.nat(4).map((n) => n === 0);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('submit' as const), type: fc.nat(), gpuCount: fc.integer({ min: 1, max: LARGEST }) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      job: fc.nat(),
      stale,
      // Best fit twice as often as a named node: it is the choice a start makes by default.
      node: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('complete' as const, 'fail' as const, 'cancel' as const), job: fc.nat(), stale }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('state' as const), node: fc.nat(), state: fc.constantFrom<NodeState>('UP', 'DRAINING', 'DOWN') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), type: fc.nat(), gpuCount: fc.integer({ min: 1, max: LARGEST }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), node: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), node: fc.nat(), gpuCount: fc.integer({ min: 1, max: LARGEST + 2 }) }) },
);

function pick<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * One run's world: a copy of the configured inventory under GPU types of its own, so each run
 * starts from the same known nodes whatever earlier runs left running, and a fresh owner.
 */
class World {
  private added = 0;
  private before!: CapacitySnapshot;
  /** Ids of the jobs this run submitted. */
  private readonly mine = new Set<string>();

  private constructor(
    private readonly server: TestServer,
    private readonly admin: TestUser,
    private readonly owner: TestUser,
    private readonly tag: string,
    readonly types: string[],
  ) {}

  static async create(server: TestServer, admin: TestUser, run: number): Promise<World> {
    const tag = `r${run}`;
    const world = new World(server, admin, await server.register(`capacity-${tag}`), tag, server.config.inventory.map((e) => `${e.gpuType}.${tag}`));
    for (const [i, entry] of server.config.inventory.entries()) {
      for (let n = 0; n < entry.nodes; n++) await world.mustAddNode(world.types[i]!, entry.gpusPerNode);
    }
    world.before = await world.check();
    expect(world.nodes().map((n) => [n.gpu_type, n.gpu_count, n.state])).toEqual(
      server.config.inventory.flatMap((e, i) => Array.from({ length: e.nodes }, () => [world.types[i], e.gpusPerNode, 'UP'])),
    );
    return world;
  }

  /** This run's nodes, removed ones included, in the order they were added. */
  private nodes(snapshot = this.before): NodeRow[] {
    const order = (n: NodeRow) => Number(n.name.split('-').at(-1));
    return snapshot.nodes.filter((n) => this.types.includes(n.gpu_type)).sort((a, b) => order(a) - order(b));
  }

  /** This run's jobs, by id. */
  private jobs(snapshot = this.before): JobRow[] {
    return snapshot.jobs.filter((j) => this.mine.has(j.id));
  }

  private async mustAddNode(gpuType: string, gpuCount: number): Promise<void> {
    const res = await this.addNode(gpuType, gpuCount);
    expect(res.errors, 'adding a node with a fresh name').toBeUndefined();
  }

  private addNode(gpuType: string, gpuCount: number): Promise<GqlResponse> {
    this.added += 1;
    return addNodeAs(this.server, this.admin.token, { name: `${this.tag}-node-${this.added}`, gpuType, gpuCount });
  }

  /** Reads the rows, asserts every invariant on them, and returns them. */
  private async check(): Promise<CapacitySnapshot> {
    const snapshot = await readCapacity(this.server.db);
    await assertCapacityInvariants(snapshot, this.server, this.admin);
    await assertQuotaSumRule(this.server.db);
    return snapshot;
  }

  /** Runs one command, then checks its outcome against the state before it and every invariant. */
  async step(cmd: Command): Promise<void> {
    const before = this.before;
    const res = await this.send(cmd, before);
    if (res === null) return; // nothing to act on
    expectHygienic(res);
    if (res.errors) expect(EXPECTED_REFUSALS, `${JSON.stringify(cmd)}: ${JSON.stringify(res.errors)}`).toContain(errorCode(res));
    const after = await this.check();
    this.expectOutcome(cmd, res, before, after);
    this.before = after;
  }

  /** The target of a job command at this moment. */
  private jobFor(cmd: Extract<Command, { job: number }>, before: CapacitySnapshot): JobRow | undefined {
    const fits: Record<typeof cmd.kind, string[]> = {
      start: [JobStatus.APPROVED],
      complete: [JobStatus.RUNNING],
      fail: [JobStatus.RUNNING],
      cancel: [JobStatus.PENDING, JobStatus.APPROVED, JobStatus.RUNNING],
    };
    const all = this.jobs(before);
    return pick(cmd.stale ? all : all.filter((j) => fits[cmd.kind].includes(j.status)), cmd.job);
  }

  /** The node a start names: none (best fit), or one of the job's type, removed ones included. */
  private startNode(cmd: Extract<Command, { kind: 'start' }>, job: JobRow, before: CapacitySnapshot): NodeRow | undefined {
    if (cmd.node === null) return undefined;
    return pick(this.nodes(before).filter((n) => cmd.stale || n.gpu_type === job.gpu_type), cmd.node);
  }

  private liveNode(n: number, before: CapacitySnapshot): NodeRow | undefined {
    return pick(this.nodes(before).filter((node) => !node.removed), n);
  }

  private async send(cmd: Command, before: CapacitySnapshot): Promise<GqlResponse | null> {
    const { server, admin } = this;
    switch (cmd.kind) {
      case 'submit': {
        const res = await createJob(server, this.owner, { name: `capacity ${this.tag}`, gpuType: pick(this.types, cmd.type), gpuCount: cmd.gpuCount, hours: 1 });
        if (res.data?.createJob) {
          this.mine.add(res.data.createJob.id);
          await mustTransition(server, 'approve', res.data.createJob.id, admin.token);
        }
        return res;
      }
      case 'start': {
        const job = this.jobFor(cmd, before);
        if (job === undefined) return null;
        const node = this.startNode(cmd, job, before);
        return startJob(server, job.id, admin.token, node?.id);
      }
      case 'complete':
      case 'fail':
      case 'cancel': {
        const job = this.jobFor(cmd, before);
        return job === undefined ? null : transition(server, cmd.kind, job.id, admin.token, cmd.kind === 'fail' ? 'property test' : undefined);
      }
      case 'state':
      case 'resize': {
        const node = this.liveNode(cmd.node, before);
        if (node === undefined) return null;
        return updateNodeAs(server, admin.token, node.id, cmd.kind === 'state' ? { state: cmd.state } : { gpuCount: cmd.gpuCount });
      }
      case 'add':
        return this.addNode(pick(this.types, cmd.type)!, cmd.gpuCount);
      case 'remove': {
        const node = this.liveNode(cmd.node, before);
        return node === undefined ? null : server.gql(REMOVE_NODE, { id: node.id }, admin.token);
      }
    }
  }

  /**
   * What the command must have done, worked out from the rows before it: whether it was refused
   * and with what, and what changed. Every job status the command did not aim at stays as it was.
   */
  private expectOutcome(cmd: Command, res: GqlResponse, before: CapacitySnapshot, after: CapacitySnapshot): void {
    const what = JSON.stringify(cmd);
    const statusBefore = new Map(before.jobs.map((j) => [j.id, j.status]));
    const changed = after.jobs.filter((j) => statusBefore.get(j.id) !== j.status && statusBefore.has(j.id)).map((j) => j.id);
    const live = (type: string) => before.nodes.filter((n) => !n.removed && n.gpu_type === type);
    const heldBefore = heldSlots(before);
    const code = errorCode(res);

    switch (cmd.kind) {
      case 'submit': {
        const type = pick(this.types, cmd.type)!;
        const fits = live(type).some((n) => n.gpu_count >= cmd.gpuCount);
        expect(code, `${what}: a type with a node of ${cmd.gpuCount}+ GPUs is accepted, others refused`).toBe(fits ? undefined : 'BAD_USER_INPUT');
        expect(changed, what).toEqual([]);
        return;
      }
      case 'start': {
        const job = this.jobFor(cmd, before)!;
        const id = job.id;
        const node = this.startNode(cmd, job, before);
        const freeOf = (n: NodeRow) => freeOnNode(n, before);
        const candidates = live(job.gpu_type);
        const shortfall = {
          gpuType: job.gpu_type,
          requested: job.gpu_count,
          freeOnBestNode: node ? freeOf(node) : Math.max(0, ...candidates.map(freeOf)),
          freeTotal: sum(candidates.map(freeOf)),
        };
        let expected: string | undefined;
        if (job.status !== JobStatus.APPROVED) expected = 'INVALID_TRANSITION';
        else if (node && (node.removed || node.gpu_type !== job.gpu_type)) expected = 'BAD_USER_INPUT';
        else if ((node ? [node] : candidates).every((n) => freeOf(n) < job.gpu_count)) expected = 'INSUFFICIENT_CAPACITY';
        expect(code, `${what}: job ${job.status}, ${job.gpu_count} ${job.gpu_type} on ${node?.name ?? 'the best fit'}`).toBe(expected);
        if (expected === 'INSUFFICIENT_CAPACITY') {
          const ext = res.errors![0]!.extensions!;
          expect({ gpuType: ext.gpuType, requested: ext.requested, freeOnBestNode: ext.freeOnBestNode, freeTotal: ext.freeTotal }, what).toEqual(shortfall);
        }
        if (expected !== undefined) {
          expect(changed, what).toEqual([]);
          return;
        }
        expect(changed, what).toEqual([id]);
        const answer = (res.data as { job: StartedJob }).job;
        expect(answer.status).toBe(JobStatus.RUNNING);
        const placed = before.nodes.find((n) => n.id === answer.allocation?.node.id)!;
        // Best fit: on the named node, or on a node with the fewest free GPUs of those that fit.
        if (node) expect(placed.id, what).toBe(node.id);
        else expect(freeOf(placed), what).toBe(Math.min(...candidates.map(freeOf).filter((f) => f >= job.gpu_count)));
        expect(answer.allocation!.gpuIndices.every((i) => !heldBefore.get(placed.id)!.has(i)), `${what}: only free GPUs`).toBe(true);
        const rows = after.allocations.filter((a) => a.job_id === id).map((a) => [a.node_id, a.gpu_index]);
        expect(rows, `${what}: the answer shows the allocation written`).toEqual(answer.allocation!.gpuIndices.map((i) => [placed.id, i]));
        return;
      }
      case 'complete':
      case 'fail':
      case 'cancel': {
        const job = this.jobFor(cmd, before)!;
        const allowed = cmd.kind === 'cancel' ? !TERMINAL_STATUSES.has(job.status as JobStatus) : job.status === JobStatus.RUNNING;
        expect(code, `${what}: a ${job.status} job`).toBe(allowed ? undefined : 'INVALID_TRANSITION');
        expect(changed, what).toEqual(allowed ? [job.id] : []);
        return;
      }
      case 'state': {
        const node = this.liveNode(cmd.node, before)!;
        expect(code, what).toBeUndefined();
        expect(after.nodes.find((n) => n.id === node.id)!.state).toBe(cmd.state);
        // DOWN fails the jobs running there, each with its reason; nothing else moves any job.
        const ranThere = cmd.state === 'DOWN' ? [...new Set(heldBefore.get(node.id)!.values())].sort() : [];
        expect(changed.sort(), what).toEqual(ranThere);
        for (const id of ranThere) {
          const job = after.jobs.find((j) => j.id === id)!;
          expect([job.status, job.status_reason], what).toEqual([JobStatus.FAILED, `node ${node.name} went down`]);
        }
        return;
      }
      case 'add':
        expect(code, what).toBeUndefined();
        expect(this.nodes(after).at(-1)).toMatchObject({ gpu_type: pick(this.types, cmd.type), gpu_count: cmd.gpuCount, state: 'UP', removed: false });
        expect(changed, what).toEqual([]);
        return;
      case 'remove': {
        const node = this.liveNode(cmd.node, before)!;
        const busy = heldBefore.get(node.id)!.size > 0;
        expect(code, `${what}: ${node.name} holds ${heldBefore.get(node.id)!.size} GPUs`).toBe(busy ? 'BAD_USER_INPUT' : undefined);
        expect(after.nodes.find((n) => n.id === node.id)!.removed).toBe(!busy);
        expect(changed, what).toEqual([]);
        return;
      }
      case 'resize': {
        const node = this.liveNode(cmd.node, before)!;
        const busy = [...heldBefore.get(node.id)!.keys()].some((i) => i >= cmd.gpuCount);
        expect(code, `${what}: ${node.name} holds ${[...heldBefore.get(node.id)!.keys()]}`).toBe(busy ? 'BAD_USER_INPUT' : undefined);
        expect(after.nodes.find((n) => n.id === node.id)!.gpu_count).toBe(busy ? node.gpu_count : cmd.gpuCount);
        expect(changed, what).toEqual([]);
        return;
      }
    }
  }
}

describe('GPU capacity under random operations', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({
      // Small nodes, so that starts are refused for capacity as often as they succeed.
      GPU_INVENTORY: `A100:2x${LARGEST},H100:1x2`,
      // Quota is not what this test is about: no submission is refused for it.
      DEFAULT_MONTHLY_GPU_HOURS: '100000',
    }));
  });

  afterAll(async () => {
    await server?.close();
  });

  it('should hold no GPU twice, keep pools adding up and every running job placed, after every step of any sequence', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }), async (commands) => {
        const world = await World.create(server, admin, run++);
        for (const cmd of commands) await world.step(cmd);
      }),
      // A failure found late still reports its (partly shrunk) counterexample instead of timing out.
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: true, ...REPLAY },
    );
  }, 180_000);
});
