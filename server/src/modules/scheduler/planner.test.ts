import { describe, expect, it } from 'vitest';
import {
  compareQueue, PendingReason, plan, type JobPlan, type PlanInput, type PlanNode, type PlanNodeState, type PlanRunning, type PlanWaiting,
} from './planner.js';

const NOW = Date.UTC(2025, 0, 15, 12);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function node(name: string, gpuCount: number, state: PlanNodeState = 'UP', gpuType = 'A100'): PlanNode {
  return { id: name, name, gpuType, gpuCount, state };
}

function running(id: string, nodeId: string, gpuCount: number, endBy: number, likelyEnd = endBy): PlanRunning {
  return { id, nodeId, gpuCount, endBy, likelyEnd };
}

/** An APPROVED one-GPU A100 job of one hour, approved a minute ago. */
function job(id: string, fields: Partial<PlanWaiting> = {}): PlanWaiting {
  return {
    id, ownerId: 'owner', gpuType: 'A100', gpuCount: 1, status: 'APPROVED', priority: 0, fairShare: 0,
    approvedAt: NOW - MINUTE, createdAt: NOW - HOUR, limitMs: HOUR, likelyMs: HOUR, ...fields,
  };
}

function input(fields: Partial<PlanInput>): PlanInput {
  return { now: NOW, nodes: [], running: [], waiting: [], backfill: true, ...fields };
}

function answerOf(result: ReturnType<typeof plan>, id: string): JobPlan {
  const answer = result.jobs.get(id);
  if (answer === undefined) throw new Error(`no answer for ${id}`);
  return answer;
}

describe('queue order', () => {
  it('should serve jobs of equal priority and share in order of approval', () => {
    const waiting = [
      job('late', { approvedAt: NOW - 1 * MINUTE }),
      job('first', { approvedAt: NOW - 3 * MINUTE }),
      job('second', { approvedAt: NOW - 2 * MINUTE }),
    ];
    expect(plan(input({ nodes: [node('a', 8)], waiting })).queues.get('A100')).toEqual(['first', 'second', 'late']);
  });

  it('should put a higher priority ahead of an earlier approval', () => {
    const waiting = [job('early', { approvedAt: NOW - 3 * MINUTE }), job('urgent', { approvedAt: NOW - MINUTE, priority: 2 })];
    expect(plan(input({ nodes: [node('a', 8)], waiting })).queues.get('A100')).toEqual(['urgent', 'early']);
  });

  it('should break ties of priority by fair share, the lower share first', () => {
    const waiting = [
      job('heavy-user', { approvedAt: NOW - 3 * MINUTE, fairShare: 0.9 }),
      job('light-user', { approvedAt: NOW - MINUTE, fairShare: 0.1 }),
      job('higher', { approvedAt: NOW - MINUTE, fairShare: 2, priority: 1 }),
    ];
    expect(plan(input({ nodes: [node('a', 8)], waiting })).queues.get('A100')).toEqual(['higher', 'light-user', 'heavy-user']);
  });

  it('should order jobs approved together by creation, then by id, whatever the input order', () => {
    const a = job('b-job', { approvedAt: NOW - MINUTE, createdAt: NOW - 2 * HOUR });
    const b = job('a-job', { approvedAt: NOW - MINUTE, createdAt: NOW - 2 * HOUR });
    const c = job('c-job', { approvedAt: NOW - MINUTE, createdAt: NOW - 3 * HOUR });
    expect([a, b, c].sort((x, y) => compareQueue(x, y, NOW)).map((j) => j.id)).toEqual(['c-job', 'a-job', 'b-job']);
    expect([c, b, a].sort((x, y) => compareQueue(x, y, NOW)).map((j) => j.id)).toEqual(['c-job', 'a-job', 'b-job']);
  });

  it('should leave PENDING jobs out of the queue', () => {
    const waiting = [job('approved'), job('pending', { status: 'PENDING', approvedAt: null })];
    expect(plan(input({ nodes: [node('a', 8)], waiting })).queues.get('A100')).toEqual(['approved']);
  });
});

describe('EASY backfill', () => {
  // Node a: 6 of 8 GPUs held until NOW + 2 h, so a 4-GPU head waits until then and 2 GPUs are free meanwhile.
  const busy = { nodes: [node('a', 8)], running: [running('r', 'a', 6, NOW + 2 * HOUR)] };
  const head = job('head', { gpuCount: 4, approvedAt: NOW - 10 * MINUTE });

  it('should start a short job now when it ends before the head could start', () => {
    const short = job('short', { gpuCount: 2, limitMs: HOUR, likelyMs: HOUR });
    const result = plan(input({ ...busy, waiting: [head, short] }));
    expect(result.startNow).toEqual(['short']);
    expect(answerOf(result, 'short')).toMatchObject({ startBy: NOW, reason: PendingReason.AWAITING_START });
    expect(answerOf(result, 'head')).toMatchObject({ startBy: NOW + 2 * HOUR, reason: PendingReason.WAITING_FOR_GPUS });
  });

  it('should start a job whose limit ends exactly at the head\'s planned start', () => {
    const exact = job('exact', { gpuCount: 2, limitMs: 2 * HOUR, likelyMs: HOUR });
    const result = plan(input({ ...busy, waiting: [head, exact] }));
    expect(result.startNow).toEqual(['exact']);
    expect(answerOf(result, 'head').startBy).toBe(NOW + 2 * HOUR);
  });

  it('should refuse a job that would still run when the head could start', () => {
    const long = job('long', { gpuCount: 2, limitMs: 3 * HOUR, likelyMs: 3 * HOUR });
    const result = plan(input({ ...busy, waiting: [head, long] }));
    expect(result.startNow).toEqual([]);
    expect(answerOf(result, 'long')).toMatchObject({ startBy: NOW + 2 * HOUR, reason: PendingReason.BEHIND_HIGHER_PRIORITY });
    expect(answerOf(result, 'head').startBy).toBe(NOW + 2 * HOUR);
  });

  it('should refuse a short job too large for the GPUs free now', () => {
    const wide = job('wide', { gpuCount: 3, limitMs: HOUR });
    const result = plan(input({ ...busy, waiting: [head, wide] }));
    expect(result.startNow).toEqual([]);
    expect(answerOf(result, 'wide').startBy).toBe(NOW + 2 * HOUR);
  });

  it('should backfill the largest job that fits before a smaller one ahead of it', () => {
    // Two GPUs are free until the head's start: one 2-GPU job fills them, where the 1-GPU job
    // ahead of it would leave one idle (and the 2-GPU job waiting) for two hours.
    const one = job('one', { gpuCount: 1, limitMs: HOUR, approvedAt: NOW - 3 * MINUTE });
    const two = job('two', { gpuCount: 2, limitMs: HOUR, approvedAt: NOW - 2 * MINUTE });
    const result = plan(input({ ...busy, waiting: [head, one, two] }));
    expect(result.queues.get('A100')).toEqual(['head', 'one', 'two']);
    expect(result.startNow).toEqual(['two']);
    expect(answerOf(result, 'head').startBy).toBe(NOW + 2 * HOUR);
  });

  it('should start nothing out of queue order with backfill off', () => {
    const short = job('short', { gpuCount: 2, limitMs: HOUR });
    const result = plan(input({ ...busy, waiting: [head, short], backfill: false }));
    expect(result.startNow).toEqual([]);
    expect(answerOf(result, 'short')).toMatchObject({ startBy: NOW + 2 * HOUR, reason: PendingReason.BEHIND_HIGHER_PRIORITY });
    expect(answerOf(result, 'head').startBy).toBe(NOW + 2 * HOUR);
  });
});

describe('jobs no node can take', () => {
  it('should say NO_NODE_FITS for a job larger than every node, and not let it block the jobs behind', () => {
    const waiting = [job('huge', { gpuCount: 16, approvedAt: NOW - 2 * MINUTE }), job('small', { gpuCount: 2 })];
    const result = plan(input({ nodes: [node('a', 8), node('b', 8, 'DRAINING')], waiting }));
    expect(answerOf(result, 'huge')).toMatchObject({
      position: 1, jobsAhead: 0, startBy: null, likelyStart: null, reason: PendingReason.NO_NODE_FITS, plannedNodeId: null,
    });
    expect(answerOf(result, 'small')).toMatchObject({ position: 2, startBy: NOW, reason: PendingReason.AWAITING_START });
    expect(result.queues.get('A100')).toEqual(['huge', 'small']);
    expect(result.startNow).toEqual(['small']);
  });

  it('should say NODES_UNAVAILABLE when only a DRAINING or DOWN node is big enough', () => {
    for (const state of ['DRAINING', 'DOWN'] as const) {
      const waiting = [job('big', { gpuCount: 8, approvedAt: NOW - 2 * MINUTE }), job('small', { gpuCount: 4 })];
      const result = plan(input({ nodes: [node('a', 4), node('b', 8, state)], waiting }));
      expect(answerOf(result, 'big')).toMatchObject({ startBy: null, likelyStart: null, reason: PendingReason.NODES_UNAVAILABLE, largestNode: 8 });
      expect(answerOf(result, 'small')).toMatchObject({ startBy: NOW, reason: PendingReason.AWAITING_START, plannedNodeId: 'a' });
    }
  });

  it('should say NO_NODE_FITS for a type without nodes', () => {
    const result = plan(input({ nodes: [node('a', 8)], waiting: [job('h', { gpuType: 'H100' })] }));
    expect(answerOf(result, 'h')).toMatchObject({ reason: PendingReason.NO_NODE_FITS, gpusFree: 0, largestNode: 0, startBy: null });
    expect(result.queues.get('H100')).toEqual(['h']);
  });
});

describe('placement model', () => {
  it('should neither use a draining node\'s free GPUs nor count on its running jobs ending', () => {
    const result = plan(input({
      nodes: [node('a', 8), node('b', 8, 'DRAINING')],
      running: [running('on-a', 'a', 8, NOW + 5 * HOUR), running('on-b', 'b', 2, NOW + HOUR)],
      waiting: [job('j', { gpuCount: 4 })],
    }));
    expect(answerOf(result, 'j')).toMatchObject({ startBy: NOW + 5 * HOUR, plannedNodeId: 'a', gpusFree: 0, reason: PendingReason.WAITING_FOR_GPUS });
  });

  it('should never split a job across nodes', () => {
    const result = plan(input({
      nodes: [node('a', 8), node('b', 8)],
      running: [running('on-a', 'a', 4, NOW + 2 * HOUR), running('on-b', 'b', 4, NOW + HOUR)],
      waiting: [job('eight', { gpuCount: 8 })],
    }));
    expect(answerOf(result, 'eight')).toMatchObject({ startBy: NOW + HOUR, plannedNodeId: 'b', gpusFree: 8 });
    expect(result.startNow).toEqual([]);
  });

  it('should place by best fit: the node with the fewest free GPUs that fit, ties by name', () => {
    const nodes = [node('c', 8), node('b', 8), node('a', 8)];
    const result = plan(input({
      nodes,
      running: [running('on-a', 'a', 2, NOW + HOUR), running('on-b', 'b', 5, NOW + HOUR), running('on-c', 'c', 5, NOW + HOUR)],
      waiting: [job('three', { gpuCount: 3, approvedAt: NOW - 2 * MINUTE }), job('four', { gpuCount: 4 })],
    }));
    expect(answerOf(result, 'three').plannedNodeId).toBe('b');
    expect(answerOf(result, 'four').plannedNodeId).toBe('a');
  });

  it('should not start a job now on GPUs that a job past its end still holds', () => {
    const result = plan(input({
      nodes: [node('a', 8)],
      running: [running('overdue', 'a', 8, NOW - MINUTE)],
      waiting: [job('next', { gpuCount: 8 })],
    }));
    expect(result.startNow).toEqual([]);
    expect(answerOf(result, 'next').startBy).toBeGreaterThan(NOW);
    expect(answerOf(result, 'next').startBy).toBeLessThan(NOW + MINUTE);
  });
});

describe('estimates', () => {
  it('should plan startBy from time limits and likelyStart from likely ends', () => {
    const result = plan(input({
      nodes: [node('a', 8)],
      running: [running('r', 'a', 8, NOW + HOUR, NOW + 30 * MINUTE)],
      waiting: [
        job('head', { gpuCount: 8, approvedAt: NOW - 2 * MINUTE, limitMs: 2 * HOUR, likelyMs: HOUR }),
        job('next', { gpuCount: 8 }),
      ],
    }));
    expect(answerOf(result, 'head')).toMatchObject({ startBy: NOW + HOUR, likelyStart: NOW + 30 * MINUTE });
    expect(answerOf(result, 'next')).toMatchObject({ startBy: NOW + 3 * HOUR, likelyStart: NOW + 90 * MINUTE });
  });

  it('should plan a job that fits now to start now', () => {
    const result = plan(input({ nodes: [node('a', 8)], waiting: [job('j', { gpuCount: 8 })] }));
    expect(answerOf(result, 'j')).toMatchObject({ startBy: NOW, likelyStart: NOW, plannedNodeId: 'a', gpusFree: 8, largestNode: 8 });
  });
});

describe('positions and reasons', () => {
  // Node a has 4 of 8 GPUs free until NOW + 1 h.
  const cluster = { nodes: [node('a', 8), node('d', 16, 'DOWN')], running: [running('r', 'a', 4, NOW + HOUR)] };
  const waiting = [
    job('starts', { gpuCount: 2, approvedAt: NOW - 5 * MINUTE }),
    job('head', { gpuCount: 4, approvedAt: NOW - 4 * MINUTE }),
    job('behind', { gpuCount: 4, approvedAt: NOW - 3 * MINUTE, limitMs: 5 * HOUR }),
    job('pending', { status: 'PENDING', approvedAt: null, createdAt: NOW - 2 * HOUR }),
    job('pending-urgent', { status: 'PENDING', approvedAt: null, priority: 1 }),
  ];

  it('should give each APPROVED job its place, the jobs ahead of it and why it waits', () => {
    const result = plan(input({ ...cluster, waiting }));
    expect(answerOf(result, 'starts')).toMatchObject({ position: 1, jobsAhead: 0, reason: PendingReason.AWAITING_START });
    expect(answerOf(result, 'head')).toMatchObject({ position: 2, jobsAhead: 1, reason: PendingReason.WAITING_FOR_GPUS, startBy: NOW + HOUR });
    expect(answerOf(result, 'behind')).toMatchObject({ position: 3, jobsAhead: 2, reason: PendingReason.BEHIND_HIGHER_PRIORITY, startBy: NOW + HOUR });
  });

  it('should place a PENDING job where it would join the queue if approved now', () => {
    const result = plan(input({ ...cluster, waiting }));
    expect(answerOf(result, 'pending')).toMatchObject({
      position: 4, jobsAhead: 3, reason: PendingReason.AWAITING_APPROVAL, startBy: null, likelyStart: null, plannedNodeId: null,
    });
    expect(answerOf(result, 'pending-urgent')).toMatchObject({ position: 1, jobsAhead: 0, reason: PendingReason.AWAITING_APPROVAL });
  });

  it('should tell every job its type\'s free GPUs on UP nodes and its largest live node', () => {
    const result = plan(input({ ...cluster, waiting }));
    for (const answer of result.jobs.values()) expect(answer).toMatchObject({ gpuType: 'A100', gpusFree: 4, largestNode: 16 });
  });
});

describe('startNow', () => {
  it('should list heads first, then backfilled jobs, each type in turn by name', () => {
    const result = plan(input({
      nodes: [node('a', 8), node('h', 8, 'UP', 'H100')],
      running: [running('r', 'a', 4, NOW + 2 * HOUR)],
      waiting: [
        job('h100-job', { gpuType: 'H100', approvedAt: NOW - 9 * MINUTE }),
        job('first', { gpuCount: 2, approvedAt: NOW - 8 * MINUTE }),
        job('head', { gpuCount: 4, approvedAt: NOW - 7 * MINUTE }),
        job('backfilled', { gpuCount: 1, approvedAt: NOW - 6 * MINUTE, limitMs: HOUR }),
        job('too-long', { gpuCount: 1, approvedAt: NOW - 5 * MINUTE, limitMs: 3 * HOUR }),
      ],
    }));
    expect(result.startNow).toEqual(['first', 'backfilled', 'h100-job']);
    expect(answerOf(result, 'too-long').reason).toBe(PendingReason.BEHIND_HIGHER_PRIORITY);
  });
});

describe('the likely run with a forecast', () => {
  const owners = (entries: [string, number, number][]) => new Map(entries.map(([id, used, limit]) => [id, { used, limit }]));

  it('should plan as without one when no share moves past another', () => {
    const waiting = [job('a', { gpuCount: 4 }), job('b', { gpuCount: 4, approvedAt: NOW }), job('c', { gpuCount: 2, approvedAt: NOW + 1 })];
    const base = input({ nodes: [node('n', 4)], running: [running('r', 'n', 4, NOW + 2 * HOUR, NOW + HOUR)], waiting });
    const withForecast = plan({ ...base, forecast: { msPerHour: HOUR, owners: owners([['owner', 0, 100]]) } });
    const without = plan(base);
    for (const id of ['a', 'b', 'c']) {
      expect(answerOf(withForecast, id).likelyStart).toBe(answerOf(without, id).likelyStart);
      expect(answerOf(withForecast, id).startBy).toBe(answerOf(without, id).startBy);
    }
  });

  it("should let an owner whose running jobs raise their share fall behind another owner's later job", () => {
    // "busy" is ahead now (share 0.1 against 0.15), but runs 4 GPUs: after half an hour its share
    // is 0.3, so when the node frees at NOW + 1 h, "idle"'s job goes first.
    const waiting = [
      job('busy-next', { ownerId: 'busy', fairShare: 0.1, approvedAt: NOW - 2 * MINUTE, gpuCount: 4 }),
      job('idle-job', { ownerId: 'idle', fairShare: 0.15, approvedAt: NOW - MINUTE, gpuCount: 4 }),
    ];
    const result = plan(input({
      nodes: [node('a', 4), node('b', 4)],
      running: [{ ...running('busy-run', 'a', 4, NOW + 4 * HOUR), ownerId: 'busy' }, { ...running('other', 'b', 4, NOW + HOUR), ownerId: 'x' }],
      waiting,
      forecast: { msPerHour: HOUR, owners: owners([['busy', 1, 10], ['idle', 1.5, 10], ['x', 0, 10]]) },
    }));
    // startBy keeps today's order; the likely run sees the shares cross before the GPUs free.
    expect(result.queues.get('A100')).toEqual(['busy-next', 'idle-job']);
    expect(answerOf(result, 'busy-next').startBy).toBe(NOW + HOUR);
    expect(answerOf(result, 'idle-job').likelyStart).toBe(NOW + HOUR);
    expect(answerOf(result, 'busy-next').likelyStart).toBe(NOW + 2 * HOUR);
  });
});
