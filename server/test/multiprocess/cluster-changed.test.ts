/**
 * `clusterChanged` across API processes (the README's "GPU inventory" and "Events"): two API
 * processes on one database, A (the test's own server, in this process) and B (a child process);
 * changes made through A — nodes added, jobs approved and started — reach a subscriber on B
 * within 2 s, nothing is sent when the pools did not change, and a burst of changes is coalesced
 * to at most one message a second. Each test works on a GPU type of its own, added at its start,
 * so what it reads is its own pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_FIELDS, addNode, freshGpuType, mustTransition, submitJob, updateNode, type PoolView } from '../factories.js';
import { TestServer, type TestUser } from '../harness.js';
import { JOB_CHANGES, Subscription, connect, proveDelivers, type Change, type Connection } from '../ws-client.js';
import { ChildServer, stopAllChildren } from './child-process.js';

const CLUSTER_CHANGED = `subscription ClusterChanged { clusterChanged { ${POOL_FIELDS} } }`;
type Pools = { clusterChanged: PoolView[] };

/** The bound: a change on one process reaches subscribers on another within this. */
const DELIVERY_MS = 2000;
/** The watcher's coalescing interval: consecutive messages are at least this far apart. */
const INTERVAL_MS = 1000;

describe('clusterChanged across API processes', () => {
  let apiA: TestServer;
  let apiB: ChildServer;
  let admin: TestUser;
  const sockets: Connection[] = [];

  beforeAll(async () => {
    // A creates the database, applies migrations and creates the admin; B, a process of its
    // own, joins it. A runs in this process because a child compiles the sources as it starts,
    // which on a busy machine takes much of its start limit.
    ({ server: apiA, admin } = await TestServer.startWithAdmin({ EVENT_POLL_MS: '200' }));
    apiB = await ChildServer.start('api', { DATABASE_URL: apiA.databaseUrl, EVENT_POLL_MS: '200' }, 'api-B');
  });

  afterAll(async () => {
    for (const s of sockets) await s.client.dispose();
    await stopAllChildren();
    await apiA?.close();
  });

  /** The pool of `gpuType` in a message, if it has one. */
  const poolIn = (message: Pools, gpuType: string) => message.clusterChanged.find((p) => p.gpuType === gpuType);

  /**
   * A fresh user's `clusterChanged` subscription on B, proven live: a subscription compares
   * with the pools as they were when it started, so a node added before it registered sends
   * nothing. Nodes of fresh types are added through A until one is seen; the last one's type is
   * the test's own pool, with `gpuCount` GPUs.
   */
  async function subscribeOnB(gpuCount: number): Promise<{ user: TestUser; ws: Connection; pools: Subscription<Pools>; gpuType: string; nodeId: string }> {
    const user = await apiA.register('pools');
    const ws = connect(apiB.url, user.token);
    sockets.push(ws);
    await ws.connected;
    const pools = new Subscription<Pools>(ws.client, CLUSTER_CHANGED);
    for (let attempt = 0; attempt < 10; attempt++) {
      const gpuType = freshGpuType();
      const nodeId = (await addNode(apiA, { gpuType, gpuCount })).id;
      try {
        await pools.until((list) => list.some((m) => poolIn(m, gpuType) !== undefined), DELIVERY_MS);
        return { user, ws, pools, gpuType, nodeId };
      } catch {
        // Not registered yet when the node was added: the next one will show.
      }
    }
    throw new Error(`no node added through A reached the subscriber on B; errors ${JSON.stringify(pools.errors)}`);
  }

  /** Waits for the first message from index `from` on whose pool `gpuType` `check` holds; returns its index. */
  async function firstFrom(sub: Subscription<Pools>, from: number, gpuType: string, check: (pool: PoolView) => boolean, timeoutMs = 5000): Promise<number> {
    const index = () => sub.received.findIndex((m, i) => i >= from && poolIn(m, gpuType) !== undefined && check(poolIn(m, gpuType)!));
    await sub.until(() => index() >= 0, timeoutMs);
    return index();
  }

  it('should deliver a node added through A to a subscriber on B within 2 s', async () => {
    const { pools } = await subscribeOnB(4);
    const gpuType = freshGpuType();
    const from = pools.received.length;
    const sentAt = Date.now();
    await addNode(apiA, { gpuType, gpuCount: 8 });
    const at = await firstFrom(pools, from, gpuType, () => true);
    expect(pools.receivedAt[at]! - sentAt).toBeLessThan(DELIVERY_MS);
    expect(poolIn(pools.received[at]!, gpuType)).toMatchObject({ nodes: 1, totalGpus: 8, upGpus: 8, freeGpus: 8, allocatedGpus: 0, largestFreeBlock: 8 });
    expect(pools.errors).toEqual([]);
  });

  it('should show a start through A to a subscriber on B within 2 s, with the GPUs it took', async () => {
    const { user, pools, gpuType } = await subscribeOnB(8);
    const job = await submitJob(apiA, user, { name: 'cluster-changed', gpuType, gpuCount: 2, hours: 1 });
    await mustTransition(apiA, 'approve', job.id, admin.token);
    // The approval is a change of its own (the queue): wait for it, so what follows is the start's.
    const approved = await firstFrom(pools, 0, gpuType, (p) => p.queuedJobs === 1);

    const sentAt = Date.now();
    await mustTransition(apiA, 'start', job.id, admin.token);
    const started = await firstFrom(pools, approved + 1, gpuType, (p) => p.allocatedGpus === 2);
    const latency = pools.receivedAt[started]! - sentAt;
    expect(latency, `start through A seen on B after ${latency} ms`).toBeLessThan(DELIVERY_MS);
    expect(poolIn(pools.received[started]!, gpuType)).toMatchObject({ allocatedGpus: 2, freeGpus: 6, queuedJobs: 0, queuedGpus: 0, largestFreeBlock: 6 });
    // Nothing came in between: the first message after the approval is the start.
    expect(started).toBe(approved + 1);
  });

  it('should send nothing when nothing in the pools changed, and the next real change first', async () => {
    const { user, ws, pools, gpuType, nodeId } = await subscribeOnB(4);
    const jobs = new Subscription<Change>(ws.client, JOB_CHANGES);
    await proveDelivers(apiA, user, jobs);
    const from = pools.received.length;

    // Changes that leave every pool as it was: a node set to the state and size it has, and a
    // submission (a PENDING job is in no pool's queue). Each wakes B's watcher all the same.
    await updateNode(apiA, nodeId, { state: 'UP', gpuCount: 4 });
    const job = await submitJob(apiA, user, { name: 'no-op', gpuType, gpuCount: 1, hours: 1 });
    // B's relay wakes the watcher before it hands the job's event to subscribers; the watcher
    // then looks within its interval. No message in that time plus a margin: none was sent.
    await jobs.until((list) => list.some((c) => c.jobStatusChanged.job.id === job.id));
    await expect(pools.until((list) => list.length > from, INTERVAL_MS + 1000)).rejects.toThrow(/timed out/);

    await mustTransition(apiA, 'approve', job.id, admin.token);
    await pools.until((list) => list.length > from);
    expect(poolIn(pools.received[from]!, gpuType), 'the first message after the no-ops').toMatchObject({ queuedJobs: 1, queuedGpus: 1 });
  });

  it('should coalesce 10 quick starts into a few messages at least a second apart, the last showing all 10', async () => {
    const { user, pools, gpuType } = await subscribeOnB(10);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await submitJob(apiA, user, { name: `burst ${i}`, gpuType, gpuCount: 1, hours: 1 })).id);
    for (const id of ids) await mustTransition(apiA, 'approve', id, admin.token);
    const queued = await firstFrom(pools, 0, gpuType, (p) => p.queuedJobs === 10);

    const startedAt = Date.now();
    await Promise.all(ids.map((id) => mustTransition(apiA, 'start', id, admin.token)));
    const startsTook = Date.now() - startedAt;
    const last = await firstFrom(pools, queued + 1, gpuType, (p) => p.allocatedGpus === 10);
    const burst = pools.received.slice(queued + 1, last + 1);
    const times = pools.receivedAt.slice(queued + 1, last + 1);
    // The watcher looks at most once a second, and sends only what differs from its last
    // message: one look per second while the starts commit, and one after the last of them.
    // Starts that take under a second give at most 2 messages; a loaded machine may take longer.
    expect(burst.length, `${burst.length} messages for 10 starts that took ${startsTook} ms`).toBeLessThanOrEqual(Math.floor(startsTook / INTERVAL_MS) + 2);
    // A second apart as the watcher reads them; the margin is the jitter of one read and delivery.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(INTERVAL_MS - 100);
    expect(poolIn(burst.at(-1)!, gpuType)).toMatchObject({ allocatedGpus: 10, freeGpus: 0, queuedJobs: 0, largestFreeBlock: 0 });
    // The previous message (the queue filled) came a second or more before the first of the burst too.
    expect(times[0]! - pools.receivedAt[queued]!).toBeGreaterThanOrEqual(INTERVAL_MS - 100);
  });
});
