import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { JobStatus, TRANSITIONS, type JobAction } from '../../../../common/job-status';
import * as serverLifecycle from '../../../../server/src/modules/jobs/job-status';
import type { JobFieldsFragment } from '../../generated/graphql';
import { JOB_STATUSES, isCancellable } from '../jobs/job-status';
import AdminJobActions from './AdminJobActions.vue';
import { actionsFor } from './useJobActions';

const ACTIONS = Object.keys(TRANSITIONS) as JobAction[];

function jobIn(status: JobStatus): JobFieldsFragment {
  return {
    id: '1',
    name: 'train',
    gpuType: 'A100',
    gpuCount: 1,
    hours: 1,
    gpuHours: 1,
    status,
    progress: 0,
    statusReason: null,
    chargedGpuHours: null,
    createdAt: '2025-11-01T00:00:00Z',
    approvedAt: null,
    startedAt: null,
    finishedAt: null,
    owner: { id: '7', email: 'owner@example.org' },
  };
}

/** What the lifecycle table lets an admin do from `status`, in the table's order. */
function adminActionsOfTheTable(status: JobStatus): JobAction[] {
  return ACTIONS.filter((action) => {
    const transition = TRANSITIONS[action];
    return transition.by === 'admin' && (transition.from as readonly JobStatus[]).includes(status);
  });
}

describe('the admin action buttons', () => {
  it('should read the same lifecycle table as the server', () => {
    expect(serverLifecycle.TRANSITIONS).toBe(TRANSITIONS);
    expect(serverLifecycle.JobStatus).toBe(JobStatus);
  });

  it('should list every status of the lifecycle', () => {
    expect(JOB_STATUSES).toEqual(Object.values(JobStatus));
  });

  it.each(Object.values(JobStatus))('should offer for %s exactly the admin transitions the table allows', (status) => {
    const expected = adminActionsOfTheTable(status);
    expect(actionsFor(status)).toEqual(expected);
    const wrapper = mount(AdminJobActions, { props: { job: jobIn(status) } });
    const buttons = wrapper.findAll('button').map((button) => button.attributes('data-testid'));
    // Start comes with a second way to start: on a node the admin picks.
    expect(buttons).toEqual(expected.flatMap((action) => (action === 'start' ? ['start-button', 'start-on-button'] : [`${action}-button`])));
  });

  it('should offer no button for a status no admin transition leaves', () => {
    const stuck = Object.values(JobStatus).filter((status) => adminActionsOfTheTable(status).length === 0);
    expect(stuck.length).toBeGreaterThan(0);
    for (const status of stuck) {
      expect(mount(AdminJobActions, { props: { job: jobIn(status) } }).findAll('button'), status).toHaveLength(0);
    }
  });
});

describe('the cancel button', () => {
  it.each(Object.values(JobStatus))('should show for %s exactly when the table lets cancel leave it', (status) => {
    expect(isCancellable(status)).toBe((TRANSITIONS.cancel.from as readonly JobStatus[]).includes(status));
  });
});
