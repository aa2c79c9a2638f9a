import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { PoolRecord } from '../modules/cluster/cluster.queries.js';
import { ClusterWatcher } from './cluster-watcher.js';

const pool = (freeGpus: number): PoolRecord => ({
  gpuType: 'A100', nodes: 1, totalGpus: 8, upGpus: 8, allocatedGpus: 8 - freeGpus, freeGpus,
  drainingGpus: 0, largestFreeBlock: freeGpus, largestNodeGpus: 8, queuedJobs: 0, queuedGpus: 0,
});

/** A watcher over pools the test sets, counting reads. */
function watcherOver(intervalMs: number) {
  const state = { pools: [pool(8)], reads: 0 };
  const watcher = new ClusterWatcher(async () => {
    state.reads += 1;
    return state.pools;
  }, createLogger('silent'), intervalMs);
  return { state, watcher };
}

/** Resolves with the next message, or 'none' if nothing arrives within `ms`. */
function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<T | 'none'> {
  return Promise.race([iterator.next().then((r) => r.value as T), new Promise<'none'>((r) => setTimeout(() => r('none'), ms))]);
}

describe('ClusterWatcher', () => {
  it('should send the pools when they changed, and nothing when they did not', async () => {
    const { state, watcher } = watcherOver(20);
    const sub = watcher.subscribe();
    watcher.wake();
    expect(await nextWithin(sub, 100)).toBe('none');
    state.pools = [pool(6)];
    watcher.wake();
    expect(await nextWithin(sub, 500)).toEqual([pool(6)]);
    await watcher.stop();
  });

  it('should read at most once per interval however often it is woken', async () => {
    const { state, watcher } = watcherOver(200);
    const sub = watcher.subscribe();
    const started = Date.now();
    for (let i = 0; i < 50; i += 1) {
      state.pools = [pool(i % 8)];
      watcher.wake();
      await new Promise((r) => setImmediate(r));
    }
    const first = await nextWithin(sub, 1000);
    expect(first).not.toBe('none');
    // The baseline read plus one coalesced read for fifty wake-ups.
    expect(state.reads).toBeLessThanOrEqual(2);
    state.pools = [pool(7)];
    watcher.wake();
    await nextWithin(sub, 1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await watcher.stop();
  });

  it('should not read at all while nobody subscribes', async () => {
    const { state, watcher } = watcherOver(10);
    watcher.wake();
    await new Promise((r) => setTimeout(r, 50));
    expect(state.reads).toBe(0);
    await watcher.stop();
  });

  it('should end subscriptions on stop', async () => {
    const { watcher } = watcherOver(10);
    const sub = watcher.subscribe();
    await watcher.stop();
    expect(await sub.next()).toEqual({ value: undefined, done: true });
    expect(watcher.size).toBe(0);
  });
});
