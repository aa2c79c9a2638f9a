import { describe, expect, it } from 'vitest';
import {
  JobStatus,
  TERMINAL_STATUSES,
  TRANSITIONS,
  canMove,
  isAllowed,
  type JobAction,
} from './job-status.js';

const ALL_STATUSES = Object.values(JobStatus);
const ALL_ACTIONS = Object.keys(TRANSITIONS) as JobAction[];

/**
 * The README's "Lifecycle and quota", written out by hand: every (action, from, to) the lifecycle
 * allows, and nothing else.
 */
const DOCUMENTED: readonly [JobAction, JobStatus, JobStatus][] = [
  ['approve', JobStatus.PENDING, JobStatus.APPROVED],
  ['reject', JobStatus.PENDING, JobStatus.REJECTED],
  ['cancel', JobStatus.PENDING, JobStatus.CANCELLED],
  ['start', JobStatus.APPROVED, JobStatus.RUNNING],
  ['cancel', JobStatus.APPROVED, JobStatus.CANCELLED],
  ['complete', JobStatus.RUNNING, JobStatus.COMPLETED],
  ['fail', JobStatus.RUNNING, JobStatus.FAILED],
  ['cancel', JobStatus.RUNNING, JobStatus.CANCELLED],
];

describe('the job lifecycle table', () => {
  it('should name exactly the actions of the API', () => {
    expect(ALL_ACTIONS.sort()).toEqual(['approve', 'cancel', 'complete', 'fail', 'reject', 'start']);
  });

  it('should allow exactly the (action, from) pairs the README documents and nothing else', () => {
    for (const action of ALL_ACTIONS) {
      for (const from of ALL_STATUSES) {
        const expected = DOCUMENTED.some(([a, f]) => a === action && f === from);
        expect(isAllowed(action, from), `${action} from ${from}`).toBe(expected);
      }
    }
  });

  it('should send each allowed action to the status the README names', () => {
    for (const [action, , to] of DOCUMENTED) {
      expect(TRANSITIONS[action].to, action).toBe(to);
    }
  });

  it('should move between exactly the status pairs the README documents and no others', () => {
    for (const from of ALL_STATUSES) {
      for (const to of ALL_STATUSES) {
        const expected = DOCUMENTED.some(([, f, t]) => f === from && t === to);
        expect(canMove(from, to), `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it('should never move a job to the status it already has', () => {
    for (const status of ALL_STATUSES) expect(canMove(status, status), status).toBe(false);
  });

  it('should never move a job back to PENDING', () => {
    for (const from of ALL_STATUSES) expect(canMove(from, JobStatus.PENDING), from).toBe(false);
  });

  it('should reach every status from PENDING', () => {
    const reached = new Set<JobStatus>([JobStatus.PENDING]);
    const queue: JobStatus[] = [JobStatus.PENDING];
    while (queue.length > 0) {
      const from = queue.shift()!;
      for (const to of ALL_STATUSES) {
        if (canMove(from, to) && !reached.has(to)) {
          reached.add(to);
          queue.push(to);
        }
      }
    }
    expect([...reached].sort()).toEqual([...ALL_STATUSES].sort());
  });

  it('should treat exactly REJECTED, COMPLETED, FAILED and CANCELLED as terminal', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(
      [JobStatus.CANCELLED, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.REJECTED].sort(),
    );
  });

  it('should allow no action from a terminal status', () => {
    for (const from of TERMINAL_STATUSES) {
      for (const action of ALL_ACTIONS) expect(isAllowed(action, from), `${action} from ${from}`).toBe(false);
      for (const to of ALL_STATUSES) expect(canMove(from, to), `${from} → ${to}`).toBe(false);
    }
  });

  it('should allow some action from every status that is not terminal', () => {
    for (const from of ALL_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s))) {
      expect(ALL_ACTIONS.some((action) => isAllowed(action, from)), from).toBe(true);
    }
  });

  it('should lead every action to a terminal status or to one from which a job can still finish', () => {
    for (const action of ALL_ACTIONS) {
      const to = TRANSITIONS[action].to;
      const finishes = TERMINAL_STATUSES.has(to) || ALL_STATUSES.some((next) => canMove(to, next));
      expect(finishes, action).toBe(true);
    }
  });

  it('should let admins approve, reject, start, complete and fail, and owners or admins cancel', () => {
    expect(TRANSITIONS.approve.by).toBe('admin');
    expect(TRANSITIONS.reject.by).toBe('admin');
    expect(TRANSITIONS.start.by).toBe('admin');
    expect(TRANSITIONS.complete.by).toBe('admin');
    expect(TRANSITIONS.fail.by).toBe('admin');
    expect(TRANSITIONS.cancel.by).toBe('owner-or-admin');
  });
});
