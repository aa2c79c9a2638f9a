import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { CommitNotifier, JOB_CHANGES_CHANNEL, PROGRESS_ONLY, REVOCATIONS_CHANNEL } from './commit-notifier.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A notifier whose NOTIFY takes `rttMs`, recording when each one started. */
function recording(rttMs: number, delayMs = 10, enabled = true) {
  const sends: { channel: string; payload?: string; at: number }[] = [];
  const notifier = new CommitNotifier(
    async (channel, payload) => {
      sends.push({ channel, payload, at: performance.now() });
      await sleep(rttMs);
    },
    createLogger('silent'),
    enabled,
    delayMs,
  );
  return { notifier, sends };
}

describe('CommitNotifier', () => {
  it('should send one wake-up for commits close together, after its delay', async () => {
    const { notifier, sends } = recording(1);
    const first = performance.now();
    for (let i = 0; i < 50; i++) notifier.committed();
    await sleep(40);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.channel).toBe(JOB_CHANGES_CHANNEL);
    expect(sends[0]!.at - first).toBeGreaterThanOrEqual(9);
  });

  it('should keep to about one wake-up per delay under a steady stream of commits, and follow the last commit', async () => {
    const { notifier, sends } = recording(3);
    const started = performance.now();
    let lastCommit = 0;
    while (performance.now() - started < 300) {
      notifier.committed();
      lastCommit = performance.now();
      await sleep(1);
    }
    await sleep(50);
    // At most one per (delay + round trip), and at least one per 30 ms: never one per round trip.
    expect(sends.length).toBeLessThanOrEqual(300 / 13 + 2);
    expect(sends.length).toBeGreaterThanOrEqual(300 / 30);
    // Nothing committed is left unannounced.
    expect(sends.at(-1)!.at).toBeGreaterThan(lastCommit);
    expect(notifier.sent).toBe(sends.length);
  });

  it('should say a wake-up is progress only when every commit it carries was, and say nothing once one was a transition', async () => {
    const { notifier, sends } = recording(1);
    notifier.committed('progress');
    notifier.committed('progress');
    await sleep(30);
    notifier.committed('progress');
    notifier.committed();
    notifier.committed('progress');
    await sleep(30);
    notifier.committed();
    await sleep(30);
    expect(sends.map((s) => [s.channel, s.payload])).toEqual([
      [JOB_CHANGES_CHANNEL, PROGRESS_ONLY],
      [JOB_CHANGES_CHANNEL, undefined],
      [JOB_CHANGES_CHANNEL, undefined],
    ]);
  });

  it('should send no job wake-ups when events are off, but still announce revocations at once', async () => {
    const { notifier, sends } = recording(1, 10, false);
    notifier.committed();
    notifier.revoked('u-1');
    await sleep(30);
    expect(sends.map((s) => [s.channel, s.payload])).toEqual([[REVOCATIONS_CHANNEL, 'u-1']]);
  });
});
