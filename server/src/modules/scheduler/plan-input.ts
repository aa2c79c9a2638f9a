/**
 * Turns what the database holds (a `SchedulerSnapshot`) into the planner's input: time limits and
 * likely run times in real milliseconds, and each owner's fair share. Pure, so the rules for
 * likely ends are tested without a database.
 */
import { partitionPoint, type PlanForecast, type PlanInput, type PlanRunning, type PlanWaiting } from './planner.js';
import type { OwnerRow, SchedulerSnapshot } from './scheduler.queries.js';
import { parseSettings, type SchedulerSettings } from './scheduler-settings.js';

/** Fewer finished jobs than this say too little about an owner: everyone's share is used instead. */
export const MIN_OWNER_SAMPLES = 3;
/** With no finished job anywhere, jobs are expected to use their whole time limit. */
const NO_HISTORY_SHARE = 1;
/** The least share believed: a job is never expected to end at once. */
const MIN_SHARE = 0.05;

/** How the planner's clock relates to the simulator's: real seconds per simulated hour. */
export interface PlanClock {
  now: number;
  secondsPerHour: number;
  /** A user's monthly limit when they have none of their own. */
  defaultMonthlyGpuHours: number;
}

/** The planner's input and what the API needs besides: settings, and each waiting job's facts. */
export interface PlanBasis {
  input: PlanInput;
  settings: SchedulerSettings;
  waiting: Map<string, PlanWaiting & { hours: number }>;
}

const clampShare = (share: number) => Math.min(1, Math.max(MIN_SHARE, share));

/** The median of `sorted[from…]` (ascending); undefined when that is empty. */
function medianFrom(sorted: readonly number[], from: number): number | undefined {
  const n = sorted.length - from;
  if (n <= 0) return undefined;
  const mid = from + (n >> 1);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * How much of its time limit a job likely uses, learned from finished jobs: for each owner, the
 * shares their last 50 finished jobs used when they finished at least MIN_OWNER_SAMPLES, else
 * everyone's last 50. With no finished job anywhere, the whole limit.
 */
export interface RunTimeModel {
  /** The share of its limit a job of `ownerId` likely uses: the median of the shares. */
  share(ownerId: string): number;
  /**
   * The share of its limit a running job of `ownerId` that has used `done` of it so far likely
   * uses in all: the median of the shares above `done` (a job that has run this long is one of
   * the longer ones); null when no finished job ran that long.
   */
  shareBeyond(ownerId: string, done: number): number | null;
}

export function runTimeModel(snapshot: Pick<SchedulerSnapshot, 'owners' | 'everyone'>): RunTimeModel {
  // Clamping keeps the order, so the samples stay sorted.
  const everyone = snapshot.everyone.shares.map(clampShare);
  const own = new Map(snapshot.owners.filter((o) => o.shares.length >= MIN_OWNER_SAMPLES).map((o) => [o.id, o.shares.map(clampShare)]));
  const samplesOf = (ownerId: string) => own.get(ownerId) ?? everyone;
  return {
    share: (ownerId) => medianFrom(samplesOf(ownerId), 0) ?? NO_HISTORY_SHARE,
    shareBeyond(ownerId, done) {
      const samples = samplesOf(ownerId);
      if (samples.length === 0) return NO_HISTORY_SHARE;
      return medianFrom(samples, partitionPoint(samples, (share) => share <= done)) ?? null;
    },
  };
}

/** Each owner's GPU-hours counted toward fair share (charged this month plus run so far by running jobs) and limit. */
export function ownerUsage(owners: readonly OwnerRow[], defaultLimit: number): Map<string, { used: number; limit: number }> {
  return new Map(
    owners.map((o) => [o.id, { used: Number(o.charged) + Number(o.running), limit: o.lim === null ? defaultLimit : Number(o.lim) }]),
  );
}

/**
 * Fair share: GPU-hours charged this month plus those run so far by running jobs, over the
 * monthly limit. An owner with a limit of 0 sorts last.
 */
export function fairShares(owners: readonly OwnerRow[], defaultLimit: number): (ownerId: string) => number {
  const usage = ownerUsage(owners, defaultLimit);
  return (ownerId) => {
    const u = usage.get(ownerId);
    if (u === undefined) return 0;
    return u.limit > 0 ? u.used / u.limit : Number.MAX_VALUE;
  };
}

/**
 * A running job's ends. By its limit: the hours it has left on the simulated clock (the hours
 * counted at its last step plus the time since). Likely: its limit × the share finished jobs that
 * ran at least as long used (`shareBeyond` of the share done so far); a job that has run longer
 * than any of them is expected to run half of what it has left.
 */
export function runningEnds(
  job: { hours: number; hoursDone: number; advancedAt: number },
  shareBeyond: (done: number) => number | null,
  clock: Pick<PlanClock, 'now' | 'secondsPerHour'>,
): { endBy: number; likelyEnd: number } {
  const msPerHour = clock.secondsPerHour * 1000;
  const done = job.hoursDone + Math.max(0, clock.now - job.advancedAt) / msPerHour;
  const left = Math.max(0, job.hours - done);
  const endBy = clock.now + left * msPerHour;
  const share = job.hours > 0 ? shareBeyond(done / job.hours) : null;
  const likelyLeft = share !== null && job.hours * share > done ? job.hours * share - done : left / 2;
  return { endBy, likelyEnd: Math.min(endBy, clock.now + likelyLeft * msPerHour) };
}

/** Builds the planner's input from a snapshot. */
export function planBasis(snapshot: SchedulerSnapshot, clock: PlanClock, fallback: SchedulerSettings): PlanBasis {
  const settings = parseSettings(snapshot.settings, fallback);
  const model = runTimeModel(snapshot);
  const fair = fairShares(snapshot.owners, clock.defaultMonthlyGpuHours);
  const msPerHour = clock.secondsPerHour * 1000;
  const running: PlanRunning[] = snapshot.running.map((r) => ({
    id: r.id,
    nodeId: r.node_id,
    gpuCount: r.gpu_count,
    ownerId: r.owner_id,
    weight: Number(r.billing_weight),
    ...runningEnds(
      { hours: Number(r.hours), hoursDone: Number(r.hours_done), advancedAt: new Date(r.advanced_at).getTime() },
      (done) => model.shareBeyond(r.owner_id, done),
      clock,
    ),
  }));
  const waiting = new Map<string, PlanWaiting & { hours: number }>();
  for (const w of snapshot.waiting) {
    const hours = Number(w.hours);
    waiting.set(w.id, {
      id: w.id,
      ownerId: w.owner_id,
      gpuType: w.gpu_type,
      gpuCount: w.gpu_count,
      status: w.status,
      priority: w.priority,
      fairShare: fair(w.owner_id),
      approvedAt: w.approved_at === null ? null : new Date(w.approved_at).getTime(),
      createdAt: new Date(w.created_at).getTime(),
      limitMs: hours * msPerHour,
      likelyMs: hours * model.share(w.owner_id) * msPerHour,
      weight: Number(w.billing_weight),
      hours,
    });
  }
  const forecast: PlanForecast = { msPerHour, owners: ownerUsage(snapshot.owners, clock.defaultMonthlyGpuHours) };
  return {
    input: {
      now: clock.now,
      nodes: snapshot.nodes.map((n) => ({ id: n.id, name: n.name, gpuType: n.gpu_type, gpuCount: n.gpu_count, state: n.state })),
      running,
      waiting: [...waiting.values()],
      backfill: settings.backfill,
      forecast,
    },
    settings,
    waiting,
  };
}

/** The first instant of `now`'s UTC month. */
export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
