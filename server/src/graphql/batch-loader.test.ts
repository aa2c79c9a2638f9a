import { describe, expect, it, vi } from 'vitest';
import { BatchLoader } from './batch-loader.js';

class MissingError extends Error {
  constructor(readonly key: string) {
    super(`missing ${key}`);
  }
}

/** A loader over a fixed table whose `loadMany` records every batch it is asked for. */
function loaderOver(table: Record<string, number>) {
  const loadMany = vi.fn(async (keys: string[]) => {
    const found = new Map<string, number>();
    for (const key of keys) if (key in table) found.set(key, table[key]!);
    return found;
  });
  return { loader: new BatchLoader(loadMany, (key: string) => new MissingError(key)), loadMany };
}

describe('BatchLoader', () => {
  it('should load the keys asked for in one tick with one call', async () => {
    const { loader, loadMany } = loaderOver({ a: 1, b: 2, c: 3 });
    expect(await Promise.all([loader.load('a'), loader.load('b'), loader.load('c')])).toEqual([1, 2, 3]);
    expect(loadMany).toHaveBeenCalledTimes(1);
    expect(loadMany).toHaveBeenCalledWith(['a', 'b', 'c']);
  });

  it('should ask for each key once however many callers want it', async () => {
    const { loader, loadMany } = loaderOver({ a: 1, b: 2 });
    expect(await Promise.all([loader.load('a'), loader.load('b'), loader.load('a'), loader.load('a')])).toEqual([
      1, 2, 1, 1,
    ]);
    expect(loadMany).toHaveBeenCalledTimes(1);
    expect(loadMany).toHaveBeenCalledWith(['a', 'b']);
  });

  it('should load keys asked for in later ticks with later calls', async () => {
    const { loader, loadMany } = loaderOver({ a: 1, b: 2 });
    expect(await loader.load('a')).toBe(1);
    expect(await loader.load('b')).toBe(2);
    expect(loadMany.mock.calls).toEqual([[['a']], [['b']]]);
  });

  it('should start a new batch for keys asked for while a batch is loading', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loadMany = vi.fn(async (keys: string[]) => {
      if (keys.includes('a')) await gate;
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    const loader = new BatchLoader(loadMany, (key: string) => new MissingError(key));
    const first = loader.load('a');
    await new Promise((resolve) => setTimeout(resolve, 0));
    const second = loader.load('b');
    expect(await second).toBe('B');
    release();
    expect(await first).toBe('A');
    expect(loadMany.mock.calls).toEqual([[['a']], [['b']]]);
  });

  it('should reject a missing key with the error made for it, and resolve the others', async () => {
    const { loader } = loaderOver({ a: 1 });
    const [found, missing, again] = await Promise.allSettled([loader.load('a'), loader.load('x'), loader.load('x')]);
    expect(found).toEqual({ status: 'fulfilled', value: 1 });
    for (const result of [missing, again]) {
      expect(result?.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(MissingError);
      expect((reason as MissingError).key).toBe('x');
    }
  });

  it('should reject every caller of a batch that fails', async () => {
    const failure = new Error('connection lost');
    const loader = new BatchLoader<string, number>(
      () => Promise.reject(failure),
      (key) => new MissingError(key),
    );
    const results = await Promise.allSettled([loader.load('a'), loader.load('b'), loader.load('a')]);
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
  });

  it('should reject every caller when loading throws before it returns a promise', async () => {
    const failure = new Error('bad query');
    const loader = new BatchLoader<string, number>(
      () => {
        throw failure;
      },
      (key) => new MissingError(key),
    );
    await expect(Promise.all([loader.load('a'), loader.load('b')])).rejects.toBe(failure);
  });

  it('should keep working after a failed batch', async () => {
    let fail = true;
    const loader = new BatchLoader<string, number>(
      async (keys) => {
        if (fail) throw new Error('transient');
        return new Map(keys.map((k) => [k, k.length]));
      },
      (key) => new MissingError(key),
    );
    await expect(loader.load('abc')).rejects.toThrow('transient');
    fail = false;
    expect(await loader.load('abc')).toBe(3);
  });

  it('should resolve falsy values rather than treat them as missing', async () => {
    const { loader } = loaderOver({ zero: 0 });
    expect(await loader.load('zero')).toBe(0);
  });
});
