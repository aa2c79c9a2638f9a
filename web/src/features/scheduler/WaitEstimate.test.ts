import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEstimateFieldsFragment } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import WaitEstimate from './WaitEstimate.vue';

const estimate: JobEstimateFieldsFragment = {
  position: 2,
  jobsAhead: 1,
  startBy: '2025-12-03T16:40:00Z',
  likelyStart: '2025-12-03T15:10:00Z',
  reason: 'WAITING_FOR_GPUS',
  message: '2nd in the H100 queue; needs 4 GPUs, 2 free',
  gpusFree: 2,
  largestNodeGpus: 8,
  plannedAt: '2025-12-03T12:00:00Z',
};
const job = { gpuType: 'H100', gpuCount: 4 };

describe('WaitEstimate', () => {
  afterEach(() => setLocale('en'));

  it('should show the place, both times and the reason in words, with the numbers in data attributes', () => {
    const wrapper = mount(WaitEstimate, { props: { estimate, job, mode: 'MANUAL' } });
    const root = wrapper.get('[data-testid="job-estimate"]');
    expect(root.attributes()).toMatchObject({
      'data-position': '2',
      'data-jobs-ahead': '1',
      'data-reason': 'WAITING_FOR_GPUS',
      'data-start-by': estimate.startBy,
      'data-likely-start': estimate.likelyStart,
    });
    expect(wrapper.get('[data-testid="estimate-position"]').text()).toBe('2nd in the H100 queue');
    expect(wrapper.get('[data-testid="estimate-start-by"]').text()).toMatch(/^starts by .*\d:40/);
    expect(wrapper.get('[data-testid="estimate-start-by"]').attributes('datetime')).toBe(estimate.startBy);
    expect(wrapper.get('[data-testid="estimate-likely"]').text()).toMatch(/^likely .*\d:10/);
    expect(wrapper.get('[data-testid="estimate-reason"]').text()).toBe('Waiting for GPUs — needs 4 GPUs, 2 free');
  });

  it('should lead with a likely start later than startBy, and say what startBy assumes', () => {
    const later = { ...estimate, likelyStart: '2025-12-03T18:10:00Z' };
    const wrapper = mount(WaitEstimate, { props: { estimate: later, job, mode: 'AUTO' } });
    const times = wrapper.findAll('time').map((t) => t.attributes('data-testid'));
    expect(times).toEqual(['estimate-likely', 'estimate-start-by']);
    expect(wrapper.get('[data-testid="estimate-start-by"]').text()).toMatch(/^by .*\d:40\D* if no job goes ahead of it$/);
    expect(wrapper.get('[data-testid="estimate-likely"]').text()).toMatch(/^likely .*\d:10/);
  });

  it('should leave out the times the plan has not got', () => {
    const wrapper = mount(WaitEstimate, {
      props: { estimate: { ...estimate, startBy: null, likelyStart: null, reason: 'NO_NODE_FITS' }, job: { gpuType: 'H100', gpuCount: 16 }, mode: null },
    });
    expect(wrapper.find('[data-testid="estimate-start-by"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="estimate-likely"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="estimate-reason"]').text()).toBe('No node fits — no H100 node has 16 GPUs (largest: 8)');
  });

  it('should follow a new estimate and a switch of language without being mounted again', async () => {
    const wrapper = mount(WaitEstimate, { props: { estimate, job, mode: 'MANUAL' } });
    await wrapper.setProps({ estimate: { ...estimate, position: 1, jobsAhead: 0, reason: 'AWAITING_START' } });
    expect(wrapper.get('[data-testid="job-estimate"]').attributes('data-reason')).toBe('AWAITING_START');
    expect(wrapper.get('[data-testid="estimate-position"]').text()).toBe('1st in the H100 queue');
    expect(wrapper.get('[data-testid="estimate-reason"]').text()).toBe('Ready to start — its GPUs are free: an admin can start it now');
    setLocale('fa');
    await wrapper.vm.$nextTick();
    expect(wrapper.get('[data-testid="estimate-position"]').text()).toBe('اولین در صف H100');
    expect(wrapper.get('[data-testid="estimate-reason"]').text()).toBe('آمادهٔ شروع — GPUهایش آزاد است: مدیر می‌تواند همین حالا آن را شروع کند');
  });
});
