/**
 * The job lifecycle lives in `common/job-status.ts`, shared with the web app so that its buttons
 * and the server's INVALID_TRANSITION come from one table (the README's "Lifecycle and quota").
 */
export {
  JobStatus,
  TERMINAL_STATUSES,
  TRANSITIONS,
  canMove,
  isAllowed,
  type JobAction,
  type Transition,
  type TransitionActor,
} from '../../../../common/job-status.js';
