/**
 * The scheduler's plan as a pure function of plain data: no database, no clock, no I/O. The
 * scheduler (worker role) starts what the plan says starts now; every API process serves the
 * same function's estimates and reasons. Times are milliseconds since the epoch.
 *
 * `plan` simulates EASY backfill per GPU type from `now`, event by event (each end of a job). Each
 * event costs about O(largest node × job sizes × log nodes), never a pass over every node or every
 * waiting job, so 10,000 waiting jobs on 1,000 nodes plan in tens of milliseconds
 * (bench/scheduler-plan.ts).
 */

/** Why a waiting job has not started (SPEC §8). */
export enum PendingReason {
  /** PENDING: an admin has not approved it yet. */
  AWAITING_APPROVAL = 'AWAITING_APPROVAL',
  /** Its GPUs are free now: in MANUAL an admin may start it, in AUTO the scheduler is starting it. */
  AWAITING_START = 'AWAITING_START',
  /** It is at the head of its queue and not enough GPUs are free on one node. */
  WAITING_FOR_GPUS = 'WAITING_FOR_GPUS',
  /** Jobs ahead of it in its queue go first. */
  BEHIND_HIGHER_PRIORITY = 'BEHIND_HIGHER_PRIORITY',
  /** No live node of its type (in any state) has as many GPUs as it asks for. */
  NO_NODE_FITS = 'NO_NODE_FITS',
  /** The nodes big enough for it are DRAINING or DOWN. */
  NODES_UNAVAILABLE = 'NODES_UNAVAILABLE',
}

export type PlanNodeState = 'UP' | 'DRAINING' | 'DOWN';

/** A live (not removed) node. */
export interface PlanNode {
  id: string;
  name: string;
  gpuType: string;
  gpuCount: number;
  state: PlanNodeState;
}

/** A running job holding `gpuCount` GPUs of `nodeId`. */
export interface PlanRunning {
  id: string;
  nodeId: string;
  gpuCount: number;
  /** When it ends if it uses its whole time limit (ms). */
  endBy: number;
  /** When it likely ends (ms), at most `endBy`. */
  likelyEnd: number;
  /** Its owner, for fair share in the likely run's forecast. */
  ownerId?: string;
  /** Its billing weight (default 1): GPU-hours it counts toward fair share per GPU and hour. */
  weight?: number;
}

/** A PENDING or APPROVED job. */
export interface PlanWaiting {
  id: string;
  ownerId: string;
  gpuType: string;
  gpuCount: number;
  status: 'PENDING' | 'APPROVED';
  /** Higher first (`setJobPriority`, default 0). */
  priority: number;
  /** The owner's GPU-hours charged or running this month ÷ their monthly limit: lower first. */
  fairShare: number;
  approvedAt: number | null;
  createdAt: number;
  /** Its time limit as a duration (ms). */
  limitMs: number;
  /** How long it likely runs (ms), at most `limitMs`. */
  likelyMs: number;
  /** Its billing weight (default 1). */
  weight?: number;
}

/**
 * What the likely run needs to foresee how the queue's order moves: each owner's fair share rises
 * while their jobs run, so an owner whose jobs start falls back behind owners who wait, as the
 * real scheduler's order does pass after pass. Without it the likely run keeps the order of now,
 * as startBy always does. Neither run expects jobs not submitted yet.
 */
export interface PlanForecast {
  /** Real ms per simulated hour: turns run time into the GPU-hours fair share counts. */
  msPerHour: number;
  /** Per owner: GPU-hours counted toward fair share now, and their monthly limit (0: they sort last). */
  owners: ReadonlyMap<string, { used: number; limit: number }>;
}

export interface PlanInput {
  now: number;
  nodes: readonly PlanNode[];
  running: readonly PlanRunning[];
  /** Waiting jobs in any order: the planner orders them. */
  waiting: readonly PlanWaiting[];
  /** EASY backfill on or off. */
  backfill: boolean;
  /** The likely run's moving fair share; none: the likely run differs from startBy's only in run times. */
  forecast?: PlanForecast;
}

/** The plan's answer for one waiting job. */
export interface JobPlan {
  id: string;
  gpuType: string;
  /** 1-based place among its type's APPROVED jobs in queue order; a PENDING job's place if approved now. */
  position: number;
  jobsAhead: number;
  /** Planned start when every job uses its whole time limit; null when it cannot be planned. */
  startBy: number | null;
  /**
   * Planned start with likely run times, and with fair share moving when there is a forecast; null
   * when it cannot be planned. Without a forecast never later than startBy; with one it is later
   * when its owner's running jobs will have raised their share past other owners' waiting jobs.
   */
  likelyStart: number | null;
  reason: PendingReason;
  /** GPUs of its type free now on UP nodes. */
  gpusFree: number;
  /** GPUs on the largest live node of its type (0 when none). */
  largestNode: number;
  /**
   * The UP node the startBy run starts it on, by best fit; null when it cannot be planned. A model
   * of where it would go, not a promise: by then the cluster will have changed.
   */
  plannedNodeId: string | null;
}

export interface Plan {
  now: number;
  /** Every waiting job's answer, by id. */
  jobs: Map<string, JobPlan>;
  /** Each type's APPROVED job ids in queue order. */
  queues: Map<string, string[]>;
  /** APPROVED jobs that start now under the rules, in the order to start them (the AUTO scheduler's work). */
  startNow: string[];
}

/**
 * A running job past its end still holds its GPUs at `now`: the plan frees them this much later at
 * the earliest, so nothing it starts now counts on GPUs that are not free yet.
 */
const OVERDUE_GRACE_MS = 1;

/** "No job" or "no node" in the simulation's index arrays. */
const NONE = -1;

/** When a job joined its queue: a PENDING job (or one without an approval time) as if approved now. */
function queuedAt(job: PlanWaiting, now: number): number {
  return job.status === 'APPROVED' && job.approvedAt !== null ? job.approvedAt : now;
}

/**
 * Queue order (SPEC §8), a total order: priority higher first; then fair share lower first, so
 * owners who used less of their month go first; then approval time, first come first served; then
 * creation time and id, so the order never depends on the order of the input.
 */
export function compareQueue(a: PlanWaiting, b: PlanWaiting, now: number): number {
  return (
    b.priority - a.priority ||
    a.fairShare - b.fairShare ||
    queuedAt(a, now) - queuedAt(b, now) ||
    a.createdAt - b.createdAt ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** One GPU type's cluster as the plan sees it now. */
interface TypeCluster {
  /** UP nodes in name order: a node's index is its rank, so the lowest index wins best-fit ties. */
  up: PlanNode[];
  /**
   * Running jobs on UP nodes, with their node's index. Those on DRAINING or DOWN nodes are left
   * out: those nodes take nothing new, so what their jobs free is of no use to the queue.
   */
  running: { node: number; job: PlanRunning }[];
  /** GPUs of the largest UP node: a larger job cannot be planned. */
  largestUp: number;
  /** GPUs of the largest live node in any state. */
  largestLive: number;
}

function emptyCluster(): TypeCluster {
  return { up: [], running: [], largestUp: 0, largestLive: 0 };
}

function byName(a: PlanNode, b: PlanNode): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Every type's cluster: its nodes, and the running jobs attached to the UP node they hold GPUs on. */
function clustersByType(nodes: readonly PlanNode[], running: readonly PlanRunning[]): Map<string, TypeCluster> {
  const clusters = new Map<string, TypeCluster>();
  const upIndex = new Map<string, { cluster: TypeCluster; index: number }>();
  for (const node of [...nodes].sort(byName)) {
    const cluster = clusters.get(node.gpuType) ?? emptyCluster();
    clusters.set(node.gpuType, cluster);
    cluster.largestLive = Math.max(cluster.largestLive, node.gpuCount);
    if (node.state !== 'UP') continue;
    upIndex.set(node.id, { cluster, index: cluster.up.length });
    cluster.up.push(node);
    cluster.largestUp = Math.max(cluster.largestUp, node.gpuCount);
  }
  for (const job of running) {
    const at = upIndex.get(job.nodeId);
    if (at !== undefined) at.cluster.running.push({ node: at.index, job });
  }
  return clusters;
}

/** GPUs free now on each UP node: its size less what its running jobs hold. */
function freeNow(cluster: TypeCluster): Int32Array {
  const free = Int32Array.from(cluster.up, (node) => node.gpuCount);
  for (const { node, job } of cluster.running) free[node]! -= job.gpuCount;
  return free;
}

/** A placeable APPROVED job as the simulation sees it. */
interface QueuedJob {
  gpus: number;
  limitMs: number;
  likelyMs: number;
}

/** The distinct job sizes of a queue, ascending. */
function jobSizes(queue: readonly QueuedJob[]): number[] {
  return [...new Set(queue.map((job) => job.gpus))].sort((a, b) => a - b);
}

/** What one simulated run planned for a type's queue of placeable jobs. */
interface RunResult {
  /** Each queued job's start; NaN when the run never started it. */
  start: Float64Array;
  /** Each queued job's UP node (its index); NONE when not started. */
  node: Int32Array;
  /** Queued jobs started at `now`, in the order they started. */
  startedNow: number[];
}

/**
 * UP nodes bucketed by how many GPUs they have free, each bucket a bitset over node ranks: whether
 * a job fits, and the best fit (the fewest free that still fit, then the lowest name), cost
 * O(largest node) instead of a pass over every node. A node whose running jobs hold more than it
 * has (the database's constraint forbids it) counts as having none free.
 */
class FreeIndex {
  private readonly words: number;
  private readonly bits: Uint32Array;
  private readonly sizes: Int32Array;

  constructor(nodes: number, private readonly maxFree: number) {
    this.words = (nodes + 31) >>> 5;
    this.bits = new Uint32Array((maxFree + 1) * this.words);
    this.sizes = new Int32Array(maxFree + 1);
  }

  add(node: number, free: number): void {
    const bucket = Math.max(0, free);
    this.bits[bucket * this.words + (node >>> 5)]! |= 1 << (node & 31);
    this.sizes[bucket]! += 1;
  }

  /** Takes `node` out of the bucket of `free`, the count `add` was given. */
  remove(node: number, free: number): void {
    const bucket = Math.max(0, free);
    this.bits[bucket * this.words + (node >>> 5)]! &= ~(1 << (node & 31));
    this.sizes[bucket]! -= 1;
  }

  /**
   * The node best fit for `need` GPUs now, or NONE: as the real allocation (cluster/placement.ts)
   * places a job, all its GPUs on one node, never split.
   */
  bestFit(need: number): number {
    for (let free = need; free <= this.maxFree; free += 1) {
      if (this.sizes[free]! > 0) return this.lowestIn(free);
    }
    return NONE;
  }

  /** The most GPUs free on one node (0 when none is). */
  largest(): number {
    for (let free = this.maxFree; free > 0; free -= 1) if (this.sizes[free]! > 0) return free;
    return 0;
  }

  private lowestIn(free: number): number {
    const base = free * this.words;
    for (let word = 0; word < this.words; word += 1) {
      const bits = this.bits[base + word]!;
      if (bits !== 0) return (word << 5) + 31 - Math.clz32(bits & -bits);
    }
    return NONE;
  }
}

/** A binary min-heap of (time, job) release events over typed arrays. */
class ReleaseHeap {
  private readonly times: Float64Array;
  private readonly jobs: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.jobs = new Int32Array(capacity);
  }

  /** The earliest release time, or Infinity when nothing is left to release. */
  peek(): number {
    return this.size === 0 ? Infinity : this.times[0]!;
  }

  push(time: number, job: number): void {
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.times[parent]! <= time) break;
      this.times[at] = this.times[parent]!;
      this.jobs[at] = this.jobs[parent]!;
      at = parent;
    }
    this.times[at] = time;
    this.jobs[at] = job;
  }

  /** Removes the earliest event and returns its job. */
  pop(): number {
    const top = this.jobs[0]!;
    const time = this.times[--this.size]!;
    const job = this.jobs[this.size]!;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.times[child + 1]! < this.times[child]!) child += 1;
      if (this.times[child]! >= time) break;
      this.times[at] = this.times[child]!;
      this.jobs[at] = this.jobs[child]!;
      at = child;
    }
    this.times[at] = time;
    this.jobs[at] = job;
    return top;
  }
}

/**
 * The queued jobs not started yet, for the backfill pass: per job size, a segment tree over that
 * size's jobs in queue order holding the shortest time limit below each branch (Infinity once
 * started). "The largest job that fits in `gpus` GPUs and ends within `room`, the first of its size
 * in queue order" is then a descent per size from `gpus` down, not a scan of the queue at every
 * event.
 */
class BackfillCandidates {
  /** The job sizes of the queue, ascending. */
  private readonly sizes: number[];
  /** Per size, its jobs' queue indices in queue order. */
  private readonly members: Int32Array[];
  private readonly trees: Float64Array[];
  private readonly leaves: number[];
  /** Per queued job, the index of its size and its slot among that size's jobs. */
  private readonly sizeOf: Int32Array;
  private readonly slotOf: Int32Array;

  constructor(queue: readonly QueuedJob[]) {
    this.sizes = jobSizes(queue);
    const sizeIndex = new Map(this.sizes.map((gpus, index) => [gpus, index]));
    const counts = new Int32Array(this.sizes.length);
    this.sizeOf = new Int32Array(queue.length);
    this.slotOf = new Int32Array(queue.length);
    for (let job = 0; job < queue.length; job += 1) {
      const size = sizeIndex.get(queue[job]!.gpus)!;
      this.sizeOf[job] = size;
      this.slotOf[job] = counts[size]!++;
    }
    this.members = Array.from(counts, (count) => new Int32Array(count));
    this.leaves = Array.from(counts, (count) => 2 ** Math.ceil(Math.log2(Math.max(1, count))));
    this.trees = this.leaves.map((leaves) => new Float64Array(2 * leaves).fill(Infinity));
    for (let job = 0; job < queue.length; job += 1) {
      const size = this.sizeOf[job]!;
      const slot = this.slotOf[job]!;
      this.members[size]![slot] = job;
      this.trees[size]![this.leaves[size]! + slot] = queue[job]!.limitMs;
    }
    this.trees.forEach((tree, size) => {
      for (let at = this.leaves[size]! - 1; at > 0; at -= 1) tree[at] = Math.min(tree[2 * at]!, tree[2 * at + 1]!);
    });
  }

  /**
   * The largest job of at most `gpus` GPUs whose time limit is at most `room`, the first in queue
   * order among those of its size; NONE when none.
   */
  first(gpus: number, room: number): number {
    // Started jobs hold Infinity: capping the room keeps them out even when the room is unbounded.
    const within = Math.min(room, Number.MAX_VALUE);
    let size = this.sizes.length - 1;
    while (size >= 0 && this.sizes[size]! > gpus) size -= 1;
    for (; size >= 0; size -= 1) {
      const tree = this.trees[size]!;
      if (tree[1]! > within) continue;
      const leaves = this.leaves[size]!;
      let at = 1;
      while (at < leaves) at = tree[2 * at]! <= within ? 2 * at : 2 * at + 1;
      return this.members[size]![at - leaves]!;
    }
    return NONE;
  }

  /** A job started: it is no longer a candidate. */
  remove(job: number): void {
    const size = this.sizeOf[job]!;
    const tree = this.trees[size]!;
    let at = this.leaves[size]! + this.slotOf[job]!;
    tree[at] = Infinity;
    for (at >>= 1; at > 0; at >>= 1) tree[at] = Math.min(tree[2 * at]!, tree[2 * at + 1]!);
  }
}

/**
 * For each job size of the queue, every UP node's fit time (when it would have that many GPUs free
 * if its active jobs end at their time limits) in a min segment tree over the nodes: the shadow
 * time of a head of that size is the tree's root. A start or an end on a node refreshes only that
 * node's leaves, so the shadow never costs a pass over every node.
 */
class ShadowTimes {
  private readonly leaves: number;
  private readonly trees: Float64Array[];

  constructor(readonly needs: readonly number[], nodes: number) {
    let leaves = 1;
    while (leaves < nodes) leaves *= 2;
    this.leaves = leaves;
    this.trees = needs.map(() => new Float64Array(2 * leaves).fill(Infinity));
  }

  /** The earliest time some node has `need` GPUs free, every active job ending at its time limit. */
  of(need: number): number {
    return this.trees[this.needs.indexOf(need)]![1]!;
  }

  /** Sets a node's fit time for the `index`-th need; ancestors stop changing where the minimum does. */
  set(index: number, node: number, time: number): void {
    const tree = this.trees[index]!;
    let at = this.leaves + node;
    tree[at] = time;
    for (at >>= 1; at > 0; at >>= 1) {
      const min = Math.min(tree[2 * at]!, tree[2 * at + 1]!);
      if (tree[at] === min) return;
      tree[at] = min;
    }
  }
}

/** One owner in the likely run's forecast. */
interface OwnerState {
  /** GPU-hours counted toward fair share at `stamp`. */
  used: number;
  limit: number;
  /** GPU-hours accrued per simulated hour: the GPUs × weights of their running jobs. */
  rate: number;
  stamp: number;
  /** Their queued jobs (queue indices) in their own queue order; `next` is the first not started. */
  jobs: number[];
  next: number;
}

/** Owners and load in the likely run, by the simulation's job numbers (running, then queued). */
export interface ForecastJobs {
  /** Each job's owner (an index into the owners), NONE when unknown. */
  ownerOf: Int32Array;
  /** Each job's GPUs × billing weight: what it adds to its owner's rate while it runs. */
  load: Float64Array;
  /** Each queued job's priority and when it joined the queue (ms). */
  priority: Int32Array;
  joinedAt: Float64Array;
}

/** An owner's place in FairShareOrder's heap: their first waiting job and their share when it was last looked at. */
interface HeadEntry {
  owner: number;
  /** The owner's version when this entry was made; an older one is stale and skipped. */
  version: number;
  job: number;
  share: number;
}

/**
 * The likely run's queue order with fair share moving: the head is chosen afresh at every step
 * among each owner's first waiting job, by priority, then the owner's fair share at that moment (it
 * rises while their jobs run), then when it joined the queue: the rules of compareQueue, applied
 * at each step as the real scheduler applies them at each pass. One owner's jobs keep their order.
 *
 * Owners wait in a heap keyed by the share they had when last looked at. A share never falls
 * (GPU-hours only add up), so every key is a lower bound of its owner's place now: the top is the
 * head once its own share is brought up to date and it is still on top. So a step costs a few heap
 * operations, not a pass over every owner.
 */
class FairShareOrder {
  private readonly begun: Uint8Array;
  private readonly heap: HeadEntry[] = [];
  private readonly versions: Int32Array;
  /** Queued jobs not started yet: the run ends when none is left. */
  left: number;

  constructor(
    private readonly owners: OwnerState[],
    private readonly jobs: ForecastJobs,
    private readonly running: number,
    private readonly msPerHour: number,
    queued: number,
    now: number,
  ) {
    this.begun = new Uint8Array(queued);
    this.left = queued;
    this.versions = new Int32Array(owners.length);
    owners.forEach((_, owner) => this.enter(owner, now));
  }

  /** (Re)places `owner` in the heap by their first waiting job and their share at `clock`. */
  private enter(owner: number, clock: number): void {
    const state = this.owners[owner]!;
    this.versions[owner]! += 1;
    if (state.next === state.jobs.length) return;
    this.push({ owner, version: this.versions[owner]!, job: state.jobs[state.next]!, share: this.share(state, clock) });
  }

  private share(owner: OwnerState, clock: number): number {
    if (!(owner.limit > 0)) return Number.MAX_VALUE;
    return (owner.used + (owner.rate * (clock - owner.stamp)) / this.msPerHour) / owner.limit;
  }

  /** The job at the head of the queue at `clock`, or NONE when none waits. */
  head(clock: number): number {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return NONE;
      if (top.version !== this.versions[top.owner]) {
        this.pop();
        continue;
      }
      const state = this.owners[top.owner]!;
      // Its first job may have started meanwhile (as a head, or backfilled): its next one is its place.
      let next = state.next;
      while (next < state.jobs.length && this.begun[state.jobs[next]!] === 1) next += 1;
      if (next !== state.next || this.share(state, clock) > top.share) {
        state.next = next;
        this.pop();
        this.enter(top.owner, clock);
        continue;
      }
      return top.job;
    }
  }

  /** Whether entry `a` sorts ahead of entry `b`. */
  private ahead(a: HeadEntry, b: HeadEntry): boolean {
    const { priority, joinedAt } = this.jobs;
    if (priority[a.job] !== priority[b.job]) return priority[a.job]! > priority[b.job]!;
    if (a.share !== b.share) return a.share < b.share;
    if (joinedAt[a.job] !== joinedAt[b.job]) return joinedAt[a.job]! < joinedAt[b.job]!;
    // Queue indices follow compareQueue's remaining ties (creation, then id).
    return a.job < b.job;
  }

  private push(entry: HeadEntry): void {
    const heap = this.heap;
    let at = heap.length;
    heap.push(entry);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.ahead(entry, heap[parent]!)) break;
      heap[at] = heap[parent]!;
      at = parent;
    }
    heap[at] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && this.ahead(heap[child + 1]!, heap[child]!)) child += 1;
      if (!this.ahead(heap[child]!, last)) break;
      heap[at] = heap[child]!;
      at = child;
    }
    heap[at] = last;
  }

  /** Job `id` (the simulation's number) starts or ends at `clock`: its owner's rate moves by its load. */
  private accrue(id: number, clock: number, sign: 1 | -1): void {
    const owner = this.owners[this.jobs.ownerOf[id]!];
    if (owner === undefined) return;
    owner.used += (owner.rate * (clock - owner.stamp)) / this.msPerHour;
    owner.stamp = clock;
    owner.rate = Math.max(0, owner.rate + sign * this.jobs.load[id]!);
  }

  /** Queued job `job` starts at `clock`. */
  started(job: number, clock: number): void {
    this.begun[job] = 1;
    this.left -= 1;
    this.accrue(this.running + job, clock, 1);
  }

  /** Job `id` (the simulation's number: running, then queued) ends at `clock`. */
  ended(id: number, clock: number): void {
    this.accrue(id, clock, -1);
  }
}

/**
 * One run of the EASY backfill policy over one type, forward in time from `now`. Jobs are numbered
 * running first (0 … R−1), then queued (R …), in arrays indexed by that number.
 *
 * In the `likely` run jobs free their GPUs at their likely end, but every decision (the head's
 * shadow time, whether a job may backfill) still uses time limits, as the real scheduler does: it
 * cannot know the likely ends.
 */
class Simulation {
  private readonly running: number;
  private readonly free: Int32Array;
  /** Per node, its active jobs sorted by limit end: its shadow for `need` GPUs is where the running sum reaches it. */
  private readonly active: number[][];
  private readonly fits: FreeIndex;
  private readonly gpus: Int32Array;
  private readonly limitEnd: Float64Array;
  private readonly nodeOf: Int32Array;
  private readonly releases: ReleaseHeap;
  /** The backfill pass's index of jobs not started yet; null with backfill off. */
  private readonly candidates: BackfillCandidates | null;
  /** The heads' shadow times; null with backfill off. */
  private readonly shadows: ShadowTimes | null;
  private readonly result: RunResult;
  /** Without a forecast, the head: the first queued job not started yet (queue.length once all have). */
  private head = 0;
  /** The job at the head that does not fit yet (NONE when none waits): backfill keeps its start. */
  private headJob = NONE;
  private clock: number;

  constructor(
    cluster: TypeCluster,
    private readonly queue: readonly QueuedJob[],
    private readonly likely: boolean,
    backfill: boolean,
    private readonly now: number,
    /** The likely run's order with fair share moving; null: the queue's order as given. */
    private readonly order: FairShareOrder | null = null,
  ) {
    const nodes = cluster.up.length;
    const jobs = cluster.running.length + queue.length;
    this.running = cluster.running.length;
    this.free = freeNow(cluster);
    this.active = Array.from({ length: nodes }, () => []);
    this.fits = new FreeIndex(nodes, cluster.largestUp);
    this.free.forEach((free, node) => this.fits.add(node, free));
    this.gpus = new Int32Array(jobs);
    this.limitEnd = new Float64Array(jobs);
    this.nodeOf = new Int32Array(jobs);
    this.releases = new ReleaseHeap(jobs);
    this.candidates = backfill ? new BackfillCandidates(queue) : null;
    this.shadows = backfill ? new ShadowTimes(jobSizes(queue), nodes) : null;
    this.result = { start: new Float64Array(queue.length).fill(NaN), node: new Int32Array(queue.length).fill(NONE), startedNow: [] };
    this.clock = now;
    cluster.running.forEach(({ node, job }, id) => this.holdRunning(id, node, job));
    for (let node = 0; node < nodes; node += 1) this.refreshShadows(node);
  }

  /** Runs the policy until every queued job has started; with backfill off, strictly in queue order. */
  run(): RunResult {
    const order = this.order;
    for (;;) {
      this.startHeads();
      if (order === null ? this.head === this.queue.length : order.left === 0) break;
      // Backfill candidates are taken in the queue's order of now (the order only picks among jobs
      // that all fit); the head, with a forecast, is the head of the moment.
      if (this.candidates !== null && this.headJob !== NONE) this.backfill(this.candidates);
      // Only the next end can change what fits: jump to it. With nothing left to end, every UP
      // node is empty and the head (no larger than the largest UP node) has started.
      const next = this.releases.peek();
      if (next === Infinity) break;
      this.clock = next;
      while (this.releases.peek() === next) this.release(this.releases.pop());
    }
    return this.result;
  }

  /** A running job holds its GPUs until its end (clamped past `now`: see OVERDUE_GRACE_MS). */
  private holdRunning(id: number, node: number, job: PlanRunning): void {
    const limitEnd = Math.max(job.endBy, this.now + OVERDUE_GRACE_MS);
    const end = this.likely ? Math.min(Math.max(job.likelyEnd, this.now + OVERDUE_GRACE_MS), limitEnd) : limitEnd;
    this.gpus[id] = job.gpuCount;
    this.limitEnd[id] = limitEnd;
    this.nodeOf[id] = node;
    this.insertActive(node, id);
    this.releases.push(end, id);
  }

  /** Step a: start the head of the queue while it fits on some UP node; then the next head. */
  private startHeads(): void {
    if (this.order !== null) {
      for (;;) {
        const job = this.order.head(this.clock);
        const node = job === NONE ? NONE : this.fits.bestFit(this.queue[job]!.gpus);
        if (node === NONE) {
          this.headJob = job;
          return;
        }
        this.start(job, node);
      }
    }
    while (this.head < this.queue.length) {
      const node = this.fits.bestFit(this.queue[this.head]!.gpus);
      if (node === NONE) break;
      this.start(this.head, node);
      while (this.head < this.queue.length && !Number.isNaN(this.result.start[this.head]!)) this.head += 1;
    }
    this.headJob = this.head < this.queue.length ? this.head : NONE;
  }

  /**
   * Step b, EASY backfill: a job behind the head starts now when it fits in GPUs free now and its
   * time limit ends by the head's shadow time, so it is gone before the head could start and never
   * delays it. Each pick is the largest job that fits the largest free block and the time left
   * before the shadow, the first of its size in queue order: the free GPUs are filled by the jobs
   * that use most of them, not cut up by small ones first. The pass ends when none fits. The head
   * itself never qualifies: it is larger than every free block, or step a would have started it.
   */
  private backfill(candidates: BackfillCandidates): void {
    let largest = this.fits.largest();
    if (largest === 0) return;
    const room = this.shadows!.of(this.queue[this.headJob]!.gpus) - this.clock;
    for (let job = candidates.first(largest, room); job !== NONE; job = candidates.first(largest, room)) {
      this.start(job, this.fits.bestFit(this.queue[job]!.gpus));
      largest = this.fits.largest();
      if (largest === 0) return;
    }
  }

  /**
   * Refreshes `node`'s fit times after a start or an end there: walking its active jobs in order of
   * limit end, each need's time is the end at which its free GPUs reach it. A need it fits now
   * gets -Infinity; no head asks for such a need, or step a would have started it.
   */
  private refreshShadows(node: number): void {
    if (this.shadows === null) return;
    const { needs } = this.shadows;
    const list = this.active[node]!;
    let free = this.free[node]!;
    let next = 0;
    for (let index = 0; index < needs.length; index += 1) {
      const need = needs[index]!;
      while (free < need && next < list.length) free += this.gpus[list[next++]!]!;
      let time = Infinity;
      if (free >= need) time = next === 0 ? -Infinity : this.limitEnd[list[next - 1]!]!;
      this.shadows.set(index, node, time);
    }
  }

  /** Starts queued job `job` on `node` now, until its limit (or, in the likely run, its likely end). */
  private start(job: number, node: number): void {
    const { gpus, limitMs, likelyMs } = this.queue[job]!;
    const id = this.running + job;
    this.candidates?.remove(job);
    this.order?.started(job, this.clock);
    this.result.start[job] = this.clock;
    this.result.node[job] = node;
    if (this.clock === this.now) this.result.startedNow.push(job);
    this.gpus[id] = gpus;
    this.limitEnd[id] = this.clock + limitMs;
    this.nodeOf[id] = node;
    this.setFree(node, this.free[node]! - gpus);
    this.insertActive(node, id);
    this.refreshShadows(node);
    this.releases.push(this.clock + (this.likely ? Math.min(likelyMs, limitMs) : limitMs), id);
  }

  /** A job ends: its GPUs are free again, and its node may now fit the head sooner. */
  private release(id: number): void {
    this.order?.ended(id, this.clock);
    const node = this.nodeOf[id]!;
    const list = this.active[node]!;
    list.splice(list.indexOf(id), 1);
    this.setFree(node, this.free[node]! + this.gpus[id]!);
    this.refreshShadows(node);
  }

  private setFree(node: number, free: number): void {
    this.fits.remove(node, this.free[node]!);
    this.free[node] = free;
    this.fits.add(node, free);
  }

  /** Keeps the node's active jobs sorted by limit end (a node holds few jobs: a short insertion). */
  private insertActive(node: number, id: number): void {
    const list = this.active[node]!;
    let at = list.length;
    while (at > 0 && this.limitEnd[list[at - 1]!]! > this.limitEnd[id]!) at -= 1;
    list.splice(at, 0, id);
  }
}

/** Why a job larger than every UP node of its type cannot be planned. */
function unplaceableReason(gpuCount: number, cluster: TypeCluster): PendingReason {
  // A DRAINING or DOWN node big enough may come back UP; otherwise no node could ever take it.
  return cluster.largestLive >= gpuCount ? PendingReason.NODES_UNAVAILABLE : PendingReason.NO_NODE_FITS;
}

/**
 * How many leading items of `sorted` satisfy `before`, which holds for a prefix of it and for
 * nothing after: a binary search.
 */
export function partitionPoint<T>(sorted: readonly T[], before: (item: T) => boolean): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(sorted[mid]!)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** How many jobs of `queue` (in queue order) sort ahead of `job`. */
function countAhead(queue: readonly PlanWaiting[], job: PlanWaiting, now: number): number {
  return partitionPoint(queue, (other) => compareQueue(other, job, now) < 0);
}

/** A run's start as a time, or null when the run never started the job. */
function plannedTime(start: number): number | null {
  return Number.isNaN(start) ? null : start;
}

/** What every job of one type is told alike. */
interface TypeFacts {
  gpuType: string;
  gpusFree: number;
  largestNode: number;
}

/** Where and when a job starts in the two runs: nothing, for a job that cannot be planned. */
const UNPLANNED = { startBy: null, likelyStart: null, nodeId: null };

/** One job's answer. Written out field by field: this runs for every waiting job on every plan. */
function answer(
  job: PlanWaiting,
  facts: TypeFacts,
  ahead: number,
  reason: PendingReason,
  planned: { startBy: number | null; likelyStart: number | null; nodeId: string | null } = UNPLANNED,
): JobPlan {
  return {
    id: job.id,
    gpuType: facts.gpuType,
    position: ahead + 1,
    jobsAhead: ahead,
    startBy: planned.startBy,
    likelyStart: planned.likelyStart,
    reason,
    gpusFree: facts.gpusFree,
    largestNode: facts.largestNode,
    plannedNodeId: planned.nodeId,
  };
}

/**
 * The answers for a type's APPROVED jobs (in queue order) from the two runs over its placeable
 * ones. The head is the first placeable job that does not start now: it waits for GPUs; the
 * placeable jobs behind it wait for the jobs ahead of them.
 */
function approvedPlans(
  approved: readonly PlanWaiting[],
  cluster: TypeCluster,
  runs: { byLimit: RunResult; likely: RunResult },
  facts: TypeFacts,
  now: number,
  forecast: boolean,
): JobPlan[] {
  let queued = 0;
  let headSeen = false;
  return approved.map((job, index) => {
    if (job.gpuCount > cluster.largestUp) return answer(job, facts, index, unplaceableReason(job.gpuCount, cluster));
    const q = queued++;
    const startBy = plannedTime(runs.byLimit.start[q]!);
    const likely = plannedTime(runs.likely.start[q]!);
    const node = runs.byLimit.node[q]!;
    let reason = PendingReason.AWAITING_START;
    if (startBy !== now) {
      reason = headSeen ? PendingReason.BEHIND_HIGHER_PRIORITY : PendingReason.WAITING_FOR_GPUS;
      headSeen = true;
    }
    return answer(job, facts, index, reason, {
      startBy,
      // Without a forecast the likely run can only be sooner (shorter runs, same order); with one,
      // other owners' jobs may go ahead as this owner's share rises, and that is the point of it.
      likelyStart: likely === null || startBy === null ? startBy : forecast ? likely : Math.min(likely, startBy),
      nodeId: node === NONE ? null : cluster.up[node]!.id,
    });
  });
}

/** A PENDING job waits for approval; its position is where it would join the queue if approved now. */
function pendingPlan(job: PlanWaiting, approved: readonly PlanWaiting[], facts: TypeFacts, now: number): JobPlan {
  return answer(job, facts, countAhead(approved, job, now), PendingReason.AWAITING_APPROVAL);
}

/**
 * The likely run with fair share moving: the type's queue ordered afresh at every step
 * (FairShareOrder). Each owner's rate starts as the load of all their running jobs, of every type;
 * those of this type stop adding when they end here, those of other types are taken to go on.
 */
function forecastRun(
  cluster: TypeCluster,
  placeable: readonly PlanWaiting[],
  queue: readonly QueuedJob[],
  input: PlanInput,
  forecast: PlanForecast,
): RunResult {
  const { now } = input;
  const owners: OwnerState[] = [];
  const ownerIndex = new Map<string, number>();
  const ownerOf = (ownerId: string | undefined): number => {
    if (ownerId === undefined) return NONE;
    let index = ownerIndex.get(ownerId);
    if (index === undefined) {
      const known = forecast.owners.get(ownerId);
      index = owners.length;
      ownerIndex.set(ownerId, index);
      owners.push({ used: known?.used ?? 0, limit: known?.limit ?? Infinity, rate: 0, stamp: now, jobs: [], next: 0 });
    }
    return index;
  };
  for (const job of input.running) {
    const owner = ownerOf(job.ownerId);
    if (owner !== NONE) owners[owner]!.rate += job.gpuCount * (job.weight ?? 1);
  }
  const running = cluster.running.length;
  const jobs: ForecastJobs = {
    ownerOf: new Int32Array(running + queue.length),
    load: new Float64Array(running + queue.length),
    priority: new Int32Array(queue.length),
    joinedAt: new Float64Array(queue.length),
  };
  cluster.running.forEach(({ job }, id) => {
    jobs.ownerOf[id] = ownerOf(job.ownerId);
    jobs.load[id] = job.gpuCount * (job.weight ?? 1);
  });
  placeable.forEach((job, q) => {
    const owner = ownerOf(job.ownerId);
    jobs.ownerOf[running + q] = owner;
    jobs.load[running + q] = job.gpuCount * (job.weight ?? 1);
    jobs.priority[q] = job.priority;
    jobs.joinedAt[q] = queuedAt(job, now);
    owners[owner]!.jobs.push(q);
  });
  const order = new FairShareOrder(owners, jobs, running, forecast.msPerHour, queue.length, now);
  return new Simulation(cluster, queue, true, input.backfill, now, order).run();
}

/** Plans one GPU type: its queue, its two runs, and every waiting job's answer, added to `out`. */
function planType(out: Plan, gpuType: string, cluster: TypeCluster, waiting: readonly PlanWaiting[], input: PlanInput): void {
  const { now, backfill } = input;
  const approved = waiting.filter((job) => job.status === 'APPROVED').sort((a, b) => compareQueue(a, b, now));
  // Jobs larger than every UP node keep their place in the queue but are not simulated: they
  // could never be the head, so they block nobody.
  const placeable = approved.filter((job) => job.gpuCount <= cluster.largestUp);
  const queue = placeable.map((job) => ({ gpus: job.gpuCount, limitMs: job.limitMs, likelyMs: job.likelyMs }));
  const runs = {
    byLimit: new Simulation(cluster, queue, false, backfill, now).run(),
    likely:
      input.forecast === undefined
        ? new Simulation(cluster, queue, true, backfill, now).run()
        : forecastRun(cluster, placeable, queue, input, input.forecast),
  };
  const facts: TypeFacts = {
    gpuType,
    gpusFree: freeNow(cluster).reduce((sum, free) => sum + Math.max(0, free), 0),
    largestNode: cluster.largestLive,
  };
  out.queues.set(gpuType, approved.map((job) => job.id));
  for (const q of runs.byLimit.startedNow) out.startNow.push(placeable[q]!.id);
  for (const answer of approvedPlans(approved, cluster, runs, facts, now, input.forecast !== undefined)) out.jobs.set(answer.id, answer);
  for (const job of waiting) {
    if (job.status === 'PENDING') out.jobs.set(job.id, pendingPlan(job, approved, facts, now));
  }
}

/**
 * The scheduler's plan (SPEC §8): per GPU type, the queue in order, and an event-driven simulation
 * of EASY backfill from `now` run twice, once with every job using its whole time limit (startBy)
 * and once with likely run times (likelyStart). Types are planned independently: a node has one
 * type and a job runs on one node. `startNow` lists types in name order, each in start order.
 */
export function plan(input: PlanInput): Plan {
  const clusters = clustersByType(input.nodes, input.running);
  const waiting = new Map<string, PlanWaiting[]>();
  for (const job of input.waiting) {
    const list = waiting.get(job.gpuType);
    if (list === undefined) waiting.set(job.gpuType, [job]);
    else list.push(job);
  }
  const out: Plan = { now: input.now, jobs: new Map(), queues: new Map(), startNow: [] };
  for (const gpuType of [...new Set([...clusters.keys(), ...waiting.keys()])].sort()) {
    planType(out, gpuType, clusters.get(gpuType) ?? emptyCluster(), waiting.get(gpuType) ?? [], input);
  }
  return out;
}
