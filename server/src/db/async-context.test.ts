import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { openAsyncContexts, releaseIdleAsyncContexts } from './async-context.js';

/** Whether a storage is enabled now: Node's own flag where it has one (the hook-based storage). */
function isEnabled(storage: AsyncLocalStorage<unknown>): boolean | undefined {
  const flag = (storage as unknown as { enabled?: unknown }).enabled;
  return typeof flag === 'boolean' ? flag : undefined;
}

describe('releaseIdleAsyncContexts', () => {
  beforeAll(() => releaseIdleAsyncContexts());

  it('should keep a store readable across awaits while another context opens and ends', async () => {
    const a = new AsyncLocalStorage<number>();
    const b = new AsyncLocalStorage<number>();
    const long = a.run(1, async () => {
      await sleep(30);
      const first = a.getStore();
      await Promise.resolve();
      return [first, a.getStore()];
    });
    await b.run(2, async () => {
      await sleep(1);
      expect(b.getStore()).toBe(2);
    });
    expect(openAsyncContexts()).toBe(1);
    expect(await long).toEqual([1, 1]);
    expect(openAsyncContexts()).toBe(0);
  });

  it('should give nested contexts of one storage their own stores', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    await storage.run('outer', async () => {
      await storage.run('inner', async () => {
        await sleep(1);
        seen.push(storage.getStore());
      });
      await sleep(1);
      seen.push(storage.getStore());
    });
    expect(seen).toEqual(['inner', 'outer']);
  });

  it('should disable every storage once no context is open, and enable it again on the next run', async () => {
    const storage = new AsyncLocalStorage<number>();
    await storage.run(7, async () => {
      await sleep(1);
      if (isEnabled(storage) !== undefined) expect(isEnabled(storage)).toBe(true);
    });
    expect(openAsyncContexts()).toBe(0);
    expect(storage.getStore()).toBeUndefined();
    if (isEnabled(storage) !== undefined) expect(isEnabled(storage)).toBe(false);
    const again = await storage.run(8, async () => {
      await sleep(1);
      return storage.getStore();
    });
    expect(again).toBe(8);
  });

  it('should close a context whose callback throws or whose promise rejects', async () => {
    const storage = new AsyncLocalStorage<number>();
    expect(() =>
      storage.run(1, () => {
        throw new Error('sync failure');
      }),
    ).toThrow('sync failure');
    expect(openAsyncContexts()).toBe(0);
    await expect(
      storage.run(2, async () => {
        await sleep(1);
        throw new Error('async failure');
      }),
    ).rejects.toThrow('async failure');
    expect(openAsyncContexts()).toBe(0);
  });

  it('should return what the callback returns, with its arguments', () => {
    const storage = new AsyncLocalStorage<number>();
    expect(storage.run(3, (x: number, y: number) => x + y + (storage.getStore() ?? 0), 1, 2)).toBe(6);
    expect(openAsyncContexts()).toBe(0);
  });
});
