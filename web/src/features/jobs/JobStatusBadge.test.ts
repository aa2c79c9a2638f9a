import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../common/job-status';
import { setLocale } from '../../i18n';
import { JOB_STATUSES, STATUS_TONE } from './job-status';
import JobStatusBadge from './JobStatusBadge.vue';

const LABELS: Record<JobStatus, string> = {
  PENDING: 'Pending',
  APPROVED: 'Approved',
  REJECTED: 'Rejected',
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

describe('JobStatusBadge', () => {
  afterEach(() => setLocale('en'));

  it.each(JOB_STATUSES)('should show %s as words, an icon and a colour', (status) => {
    const wrapper = mount(JobStatusBadge, { props: { status } });
    const badge = wrapper.get('[data-testid="job-status"]');
    expect(badge.attributes('data-status')).toBe(status);
    expect(badge.text()).toBe(LABELS[status]);
    const icon = badge.get('svg');
    expect(icon.attributes('aria-hidden')).toBe('true');
    expect(badge.classes()).toContain(`job-status-${STATUS_TONE[status]}`);
  });

  it('should give each status its own icon', () => {
    const icons = JOB_STATUSES.map((status) => mount(JobStatusBadge, { props: { status } }).get('svg').html());
    expect(new Set(icons).size).toBe(JOB_STATUSES.length);
  });

  it('should tell apart statuses that share a colour by their words and icon', () => {
    const rejected = mount(JobStatusBadge, { props: { status: JobStatus.REJECTED } });
    const failed = mount(JobStatusBadge, { props: { status: JobStatus.FAILED } });
    expect(rejected.text()).not.toBe(failed.text());
    expect(rejected.get('svg').html()).not.toBe(failed.get('svg').html());
  });

  it('should translate the label but keep the status name in data-status', async () => {
    const wrapper = mount(JobStatusBadge, { props: { status: JobStatus.RUNNING } });
    setLocale('fa');
    await wrapper.vm.$nextTick();
    const badge = wrapper.get('[data-testid="job-status"]');
    expect(badge.text()).toBe('در حال اجرا');
    expect(badge.attributes('data-status')).toBe('RUNNING');
  });

  it('should follow a status change', async () => {
    const wrapper = mount(JobStatusBadge, { props: { status: JobStatus.PENDING } });
    await wrapper.setProps({ status: JobStatus.COMPLETED });
    expect(wrapper.get('[data-testid="job-status"]').attributes('data-status')).toBe('COMPLETED');
    expect(wrapper.text()).toBe('Completed');
    expect(wrapper.get('[data-testid="job-status"]').classes()).toContain('job-status-success');
  });
});
