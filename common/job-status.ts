/**
 * The job lifecycle, shared by the server (which enforces it) and the web app (which offers only
 * the actions it allows). Documented in the README's "Lifecycle and quota" section. Kept free of
 * imports so both sides can compile it as it is.
 */

/** Where a job is in its lifecycle. */
export enum JobStatus {
  /** Submitted; its GPU-hours are reserved; waits for an admin. */
  PENDING = 'PENDING',
  /** An admin accepted it; waits to be started. */
  APPROVED = 'APPROVED',
  /** An admin refused it; the reservation was refunded. */
  REJECTED = 'REJECTED',
  /** Started; the simulator advances it. */
  RUNNING = 'RUNNING',
  /** Ran to its end; charged for the hours run. */
  COMPLETED = 'COMPLETED',
  /** Stopped by an error; charged for the hours run. */
  FAILED = 'FAILED',
  /** Withdrawn by its owner or an admin; charged for any hours run. */
  CANCELLED = 'CANCELLED',
}

/** Who may ask for a transition. */
export type TransitionActor = 'admin' | 'owner-or-admin' | 'simulator';

/** A named change of status: the only way a job's status moves. */
export interface Transition {
  readonly from: readonly JobStatus[];
  readonly to: JobStatus;
  /** Who may ask for it through the API; the simulator may finish RUNNING jobs too. */
  readonly by: TransitionActor;
}

/**
 * The lifecycle, as one table. Every mutation and the worker go through it; any change not
 * listed here is refused with INVALID_TRANSITION and nothing is written. The web app derives its
 * buttons from it, so it never offers a change the server would refuse.
 */
export const TRANSITIONS = {
  approve: { from: [JobStatus.PENDING], to: JobStatus.APPROVED, by: 'admin' },
  reject: { from: [JobStatus.PENDING], to: JobStatus.REJECTED, by: 'admin' },
  start: { from: [JobStatus.APPROVED], to: JobStatus.RUNNING, by: 'admin' },
  complete: { from: [JobStatus.RUNNING], to: JobStatus.COMPLETED, by: 'admin' },
  fail: { from: [JobStatus.RUNNING], to: JobStatus.FAILED, by: 'admin' },
  cancel: {
    from: [JobStatus.PENDING, JobStatus.APPROVED, JobStatus.RUNNING],
    to: JobStatus.CANCELLED,
    by: 'owner-or-admin',
  },
} as const satisfies Record<string, Transition>;

/** The name of a transition: one API mutation each (`approveJob`, `cancelJob`, …). */
export type JobAction = keyof typeof TRANSITIONS;

/** Statuses a job never leaves; reaching one settles its quota reservation. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  JobStatus.REJECTED,
  JobStatus.COMPLETED,
  JobStatus.FAILED,
  JobStatus.CANCELLED,
]);

/** Whether the table allows `action` from status `from`. */
export function isAllowed(action: JobAction, from: JobStatus): boolean {
  return (TRANSITIONS[action].from as readonly JobStatus[]).includes(from);
}

/** Whether some action of the table moves a job from `from` to `to`. */
export function canMove(from: JobStatus, to: JobStatus): boolean {
  return Object.values(TRANSITIONS).some((t) => t.to === to && (t.from as readonly JobStatus[]).includes(from));
}
