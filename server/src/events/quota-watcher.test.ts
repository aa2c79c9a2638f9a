import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { QuotaView } from '../modules/quotas/quota.service.js';
import { Role } from '../modules/users/user.entity.js';
import { QuotaWatcher } from './quota-watcher.js';

const viewer = (id: string): Viewer => ({ id, email: `${id}@example.org`, role: Role.USER, monthlyGpuHoursLimit: null, createdAt: new Date(), tokenVersion: 0 });
const quota = (used: number): QuotaView => ({ month: '2026-12', limitGpuHours: 100, usedGpuHours: used, remainingGpuHours: 100 - used });

/** A watcher over quotas the test sets, recording which users each read asked for. */
function watcherOver() {
  const state = { used: new Map<string, number>(), reads: [] as string[][], gate: Promise.resolve() };
  const watcher = new QuotaWatcher(async (ids) => {
    state.reads.push([...ids].sort());
    await state.gate;
    return new Map(ids.filter((id) => state.used.has(id)).map((id) => [id, quota(state.used.get(id)!)]));
  }, createLogger('silent'));
  return { state, watcher };
}

function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<T | 'none'> {
  return Promise.race([iterator.next().then((r) => r.value as T), new Promise<'none'>((r) => setTimeout(() => r('none'), ms))]);
}

describe('QuotaWatcher', () => {
  it("should tell each subscriber their own quota only, and read only for users subscribed here", async () => {
    const { state, watcher } = watcherOver();
    state.used.set('a', 10).set('b', 20).set('c', 30);
    const [a, b] = [watcher.subscribe(viewer('a')), watcher.subscribe(viewer('b'))];
    watcher.touched(['a', 'c']);
    expect(await nextWithin(a, 500)).toEqual(quota(10));
    expect(await nextWithin(b, 50)).toBe('none');
    expect(state.reads).toEqual([['a']]);
    await watcher.stop();
  });

  it('should read the users touched during a read together, once, after it', async () => {
    const { state, watcher } = watcherOver();
    state.used.set('a', 1).set('b', 2);
    const [a, b] = [watcher.subscribe(viewer('a')), watcher.subscribe(viewer('b'))];
    let open!: () => void;
    state.gate = new Promise((r) => (open = r));
    watcher.touched(['a']);
    watcher.touched(['a', 'b']);
    watcher.touched(['b']);
    open();
    expect(await nextWithin(a, 500)).toEqual(quota(1));
    expect(await nextWithin(b, 500)).toEqual(quota(2));
    expect(state.reads).toEqual([['a'], ['a', 'b']]);
    await watcher.stop();
  });

  it('should keep only the latest quota for a subscriber that has not read', async () => {
    const { state, watcher } = watcherOver();
    const a = watcher.subscribe(viewer('a'));
    for (const used of [1, 2, 3]) {
      state.used.set('a', used);
      watcher.touched(['a']);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await nextWithin(a, 500)).toEqual(quota(3));
    expect(await nextWithin(a, 50)).toBe('none');
    await watcher.stop();
  });

  it('should end every subscription on stop, and forget those that ended', async () => {
    const { watcher } = watcherOver();
    const a = watcher.subscribe(viewer('a'));
    const b = watcher.subscribe(viewer('b'));
    expect(watcher.size).toBe(2);
    await b.return!();
    expect(watcher.size).toBe(1);
    await watcher.stop();
    expect(await a.next()).toEqual({ value: undefined, done: true });
    expect(watcher.size).toBe(0);
  });
});
