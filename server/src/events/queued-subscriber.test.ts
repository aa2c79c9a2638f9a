import { describe, expect, it } from 'vitest';
import { QueuedSubscriber } from './queued-subscriber.js';
import { SerialReader } from './serial-reader.js';

describe('QueuedSubscriber', () => {
  it('should hand messages over in order, to a waiting reader at once and to a busy one later', async () => {
    const s = new QueuedSubscriber<number>(10, () => {});
    const first = s.next();
    s.push(1);
    s.push(2);
    s.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await s.next()).toEqual({ value: 2, done: false });
    expect(await s.next()).toEqual({ value: 3, done: false });
  });

  it('should cut off a reader that falls more than its bound behind, and say so once', async () => {
    let ended = 0;
    const s = new QueuedSubscriber<number>(2, () => (ended += 1));
    for (let i = 0; i < 5; i++) s.push(i);
    expect(ended).toBe(1);
    expect(await s.next()).toEqual({ value: undefined, done: true });
    await s.return();
    expect(ended).toBe(1);
  });

  it('should end a waiting reader when it is returned', async () => {
    const s = new QueuedSubscriber<number>(2, () => {});
    const waiting = s.next();
    await s.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });
});

describe('SerialReader', () => {
  it('should read one at a time, and once more for any number of wake-ups during a read', async () => {
    let reads = 0;
    let concurrent = 0;
    let most = 0;
    let release: () => void = () => {};
    const reader = new SerialReader(async () => {
      reads += 1;
      most = Math.max(most, ++concurrent);
      await new Promise<void>((resolve) => (release = resolve));
      concurrent -= 1;
    }, () => {});
    reader.wake();
    for (let i = 0; i < 10; i++) reader.wake();
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await reader.settled();
    expect([reads, most]).toEqual([2, 1]);
  });

  it('should hand a failed read to onError and read again on the next wake-up', async () => {
    const errors: unknown[] = [];
    let reads = 0;
    const reader = new SerialReader(async () => {
      reads += 1;
      if (reads === 1) throw new Error('down');
    }, (error) => errors.push(error));
    reader.wake();
    await reader.settled();
    reader.wake();
    await reader.settled();
    expect(reads).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['down']);
  });
});
