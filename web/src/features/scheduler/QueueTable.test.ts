import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { JobStatus } from '../../../../common/job-status';
import { apolloClient } from '../../apollo/client';
import { QueueDocument, type QueueQuery } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import { refuseRequests } from '../../test-support/no-api';
import { endSession, startSession, type SessionUser } from '../auth/session';
import QueueTable from './QueueTable.vue';

type Entry = QueueQuery['queue'][number];

const ME: SessionUser = { id: 'u-me', email: 'me@lab.example', role: 'USER' };
const ADMIN: SessionUser = { id: 'u-admin', email: 'admin@lab.example', role: 'ADMIN' };

/** A place in the queue as the API sends it; `job` null for another user's job seen by a user. */
function entry(position: number, job: { id: string; name: string; ownerId: string } | null, overrides: Partial<Entry> = {}): Entry {
  return {
    __typename: 'QueueEntry',
    position,
    gpuCount: 2,
    hours: 5,
    priority: 0,
    estimate: {
      __typename: 'JobEstimate',
      position,
      jobsAhead: position - 1,
      startBy: '2025-12-03T16:40:00Z',
      likelyStart: '2025-12-03T15:10:00Z',
      reason: position === 1 ? 'WAITING_FOR_GPUS' : 'BEHIND_HIGHER_PRIORITY',
      message: '',
      gpusFree: 0,
      largestNodeGpus: 8,
      plannedAt: '2025-12-03T12:00:00Z',
    },
    job: job && {
      __typename: 'Job',
      id: job.id,
      name: job.name,
      status: JobStatus.APPROVED,
      owner: { __typename: 'User', id: job.ownerId, email: `${job.ownerId}@lab.example` },
    },
    ...overrides,
  } as Entry;
}

const mounted: { unmount(): void }[] = [];

/** Mounts the table of `gpuType` with its first page in the cache, as the API would have sent it. */
async function mountQueue(gpuType: string, queue: Entry[]) {
  apolloClient.cache.writeQuery({ query: QueueDocument, variables: { gpuType, first: 50, after: null }, data: { queue } });
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:any(.*)*', component: { template: '<div />' } }] });
  await router.push('/queue');
  const wrapper = mount(QueueTable, { props: { gpuType, mode: 'MANUAL', version: 0 }, global: { plugins: [router] } });
  mounted.push(wrapper);
  await flushPromises();
  return wrapper;
}

const rows = (wrapper: Awaited<ReturnType<typeof mountQueue>>) => wrapper.findAll('[data-testid="queue-row"]');

describe('QueueTable', () => {
  beforeAll(refuseRequests);
  afterEach(() => {
    for (const wrapper of mounted.splice(0)) wrapper.unmount();
    endSession();
    setLocale('en');
  });

  it("should show a user their own job by name among other users' jobs, which say nothing of whose they are", async () => {
    startSession('token', ME);
    const wrapper = await mountQueue('QT1', [
      entry(1, null, { priority: 5 }),
      entry(2, { id: 'j-mine', name: 'my finetune', ownerId: ME.id }),
      entry(3, null, { gpuCount: 4, hours: 12 }),
    ]);
    expect(rows(wrapper).map((row) => [row.attributes('data-position'), row.attributes('data-job-id'), row.attributes('data-mine')])).toEqual([
      ['1', '', 'false'],
      ['2', 'j-mine', 'true'],
      ['3', '', 'false'],
    ]);
    const [other, mine, last] = rows(wrapper) as [ReturnType<typeof rows>[number], ReturnType<typeof rows>[number], ReturnType<typeof rows>[number]];
    expect(mine.get('[data-testid="queue-job-link"]').text()).toBe('my finetune');
    expect(mine.get('[data-testid="queue-job-link"]').attributes('href')).toBe('/jobs/j-mine');
    expect(mine.get('[data-testid="queue-mine"]').text()).toBe('yours');
    expect(mine.get('[data-testid="queue-reason"]').text()).toBe('Behind other jobs — 1 job ahead of it');
    for (const anonymous of [other, last]) {
      expect(anonymous.get('[data-testid="queue-other-job"]').text()).toBe('another user’s job');
      expect(anonymous.find('a').exists()).toBe(false);
      expect(anonymous.find('[data-testid="queue-mine"]').exists()).toBe(false);
    }
    // What an anonymous row does show: its place, size, time limit and priority.
    expect(last.get('[data-testid="queue-gpus"]').text()).toBe('4');
    expect(last.text()).toContain('12 h');
    expect(other.get('[data-testid="queue-priority"]').text()).toBe('5');
    // No owner column and no priority editor for a user.
    expect(wrapper.findAll('th[scope="col"]').map((th) => th.text())).not.toContain('Owner');
    expect(wrapper.find('[data-testid="queue-owner"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="priority-input"]').exists()).toBe(false);
  });

  it('should show an admin every owner and a priority editor on every row', async () => {
    startSession('token', ADMIN);
    const wrapper = await mountQueue('QT2', [
      entry(1, { id: 'j-a', name: 'first', ownerId: 'u-ada' }, { priority: 3 }),
      entry(2, { id: 'j-b', name: 'second', ownerId: 'u-bob' }),
    ]);
    expect(wrapper.findAll('th[scope="col"]').map((th) => th.text())).toContain('Owner');
    expect(rows(wrapper).map((row) => row.get('[data-testid="queue-owner"]').text())).toEqual(['u-ada@lab.example', 'u-bob@lab.example']);
    const inputs = wrapper.findAll<HTMLInputElement>('[data-testid="priority-input"]');
    expect(inputs.map((input) => input.element.value)).toEqual(['3', '0']);
    expect(wrapper.get('label[for="priority-j-a"]').text()).toBe('Priority of first');
    expect(rows(wrapper).map((row) => row.attributes('data-mine'))).toEqual(['false', 'false']);
  });

  it('should refuse a priority that is not a whole number in bounds in words, before sending it', async () => {
    startSession('token', ADMIN);
    const wrapper = await mountQueue('QT3', [entry(1, { id: 'j-c', name: 'third', ownerId: 'u-cy' })]);
    await wrapper.get('[data-testid="priority-input"]').setValue('2.5');
    await wrapper.get('[data-testid="priority-form"]').trigger('submit');
    expect(wrapper.get('[data-testid="priority-error"]').text()).toBe('Enter a whole number from -1,000 to 1,000.');
    expect(wrapper.get('[data-testid="priority-input"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="priority-saved"]').text()).toBe('');
  });

  it('should say in Persian whose jobs the rows are', async () => {
    startSession('token', ME);
    setLocale('fa');
    const wrapper = await mountQueue('QT4', [entry(1, null), entry(2, { id: 'j-fa', name: 'کار من', ownerId: ME.id })]);
    expect(wrapper.get('[data-testid="queue-other-job"]').text()).toBe('کار کاربری دیگر');
    expect(wrapper.get('[data-testid="queue-mine"]').text()).toBe('کار شما');
    expect(rows(wrapper).map((row) => row.get('[data-testid="queue-position"]').text())).toEqual(['۱', '۲']);
  });

  it('should say so when no job waits for the type', async () => {
    startSession('token', ME);
    const wrapper = await mountQueue('QT5', []);
    expect(wrapper.get('[data-testid="queue-empty"]').text()).toBe('No approved job is waiting for QT5 GPUs.');
    expect(rows(wrapper)).toHaveLength(0);
  });
});
