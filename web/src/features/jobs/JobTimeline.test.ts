import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../common/job-status';
import type { JobQuery } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import JobTimeline from './JobTimeline.vue';

type JobEvent = JobQuery['job']['events'][number];

const events: JobEvent[] = [
  { kind: 'CREATED', at: '2025-12-03T10:00:00Z', from: null, to: JobStatus.PENDING, reason: null, systemActor: null, actor: { id: 'u1', email: 'ada@lab.example' } },
  { kind: 'TRANSITION', at: '2025-12-03T10:00:01Z', from: JobStatus.PENDING, to: JobStatus.APPROVED, reason: null, systemActor: 'scheduler', actor: null },
  { kind: 'TRANSITION', at: '2025-12-03T10:05:00Z', from: JobStatus.APPROVED, to: JobStatus.RUNNING, reason: null, systemActor: 'scheduler', actor: null },
  { kind: 'TRANSITION', at: '2025-12-03T11:00:00Z', from: JobStatus.RUNNING, to: JobStatus.COMPLETED, reason: null, systemActor: 'simulator', actor: null },
];

describe('JobTimeline', () => {
  afterEach(() => setLocale('en'));

  it('should name the scheduler and the simulator when no person acted', () => {
    const wrapper = mount(JobTimeline, { props: { events } });
    const actors = wrapper.findAll('[data-testid="event-actor"]');
    expect(actors.map((a) => a.text())).toEqual(['by ada@lab.example', 'by the scheduler', 'by the scheduler', 'by the simulator']);
    expect(actors.map((a) => a.attributes('data-system-actor'))).toEqual(['', 'scheduler', 'scheduler', 'simulator']);
  });

  it('should name them in Persian too', () => {
    setLocale('fa');
    const wrapper = mount(JobTimeline, { props: { events } });
    const actors = wrapper.findAll('[data-testid="event-actor"]').map((a) => a.text());
    expect(actors[1]).toContain('زمان‌بند');
    expect(actors[3]).toContain('شبیه‌ساز');
  });

  it('should show an admin\'s change of priority as such, in numbers of the reader\'s language, and not as a change of status', async () => {
    const admin = { id: 'a1', email: 'admin@lab.example' };
    const changes: JobEvent[] = [
      events[0]!,
      { kind: 'TRANSITION', at: '2025-12-03T10:00:01Z', from: JobStatus.PENDING, to: JobStatus.APPROVED, reason: null, systemActor: null, actor: admin },
      { kind: 'PRIORITY', at: '2025-12-03T10:02:00Z', from: JobStatus.APPROVED, to: JobStatus.APPROVED, reason: 'priority 0 → 12', systemActor: null, actor: admin },
      { kind: 'PRIORITY', at: '2025-12-03T10:03:00Z', from: JobStatus.APPROVED, to: JobStatus.APPROVED, reason: 'priority 12 → -5', systemActor: null, actor: admin },
    ];
    const wrapper = mount(JobTimeline, { props: { events: changes } });
    const items = wrapper.findAll('[data-testid="job-event"]');
    expect(items.map((item) => item.attributes('data-kind'))).toEqual(['created', 'status', 'priority', 'priority']);
    expect(items.map((item) => item.get('[data-testid="event-title"]').text())).toEqual([
      'Submitted',
      'Pending → Approved',
      'Priority 0 → 12',
      'Priority 12 → -5',
    ]);
    expect(items[2]!.get('[data-testid="event-actor"]').text()).toBe('by admin@lab.example');
    // The numbers are in the title: the server's English sentence is not repeated under it.
    expect(items[2]!.find('[data-testid="event-reason"]').exists()).toBe(false);

    setLocale('fa');
    await wrapper.vm.$nextTick();
    expect(wrapper.findAll('[data-testid="event-title"]')[2]!.text()).toBe('اولویت ۰ ← ۱۲');
  });

  it('should still say that the priority changed when the reason is worded otherwise, and show the reason as sent', () => {
    const odd: JobEvent = { kind: 'PRIORITY', at: '2025-12-03T10:02:00Z', from: JobStatus.PENDING, to: JobStatus.PENDING, reason: 'raised for a deadline', systemActor: null, actor: null };
    const wrapper = mount(JobTimeline, { props: { events: [odd] } });
    expect(wrapper.get('[data-testid="event-title"]').text()).toBe('Priority changed');
    expect(wrapper.get('[data-testid="event-reason"]').text()).toContain('raised for a deadline');
  });
});
