import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { apolloClient } from '../../apollo/client';
import { NotificationsDocument, UnreadNotificationsDocument, type NotificationsQuery } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import { refuseRequests } from '../../test-support/no-api';
import NotificationBell from './NotificationBell.vue';

/** Puts the count and list where the bell reads them, as the API's answers leave them. */
function store(unread: number, kinds: string[]): void {
  apolloClient.cache.writeQuery({ query: UnreadNotificationsDocument, data: { unreadNotifications: unread } });
  const notifications = {
    __typename: 'NotificationConnection',
    totalCount: kinds.length,
    pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
    edges: kinds.map((kind, i) => ({
      __typename: 'NotificationEdge',
      cursor: `c${i}`,
      node: {
        __typename: 'Notification',
        id: String(i + 1),
        kind,
        title: 't',
        body: 'b',
        createdAt: '2026-12-06T10:00:00Z',
        readAt: i < unread ? null : '2026-12-06T11:00:00Z',
        job: { __typename: 'Job', id: `job-${i}`, name: `job ${i}`, status: 'APPROVED', statusReason: null },
      },
    })),
  } as unknown as NotificationsQuery['notifications'];
  apolloClient.cache.writeQuery({ query: NotificationsDocument, variables: { first: 20 }, data: { notifications } });
}

const mounted: { unmount(): void }[] = [];

async function mountBell() {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:any(.*)*', component: { template: '<div />' } }] });
  await router.push('/');
  const wrapper = mount(NotificationBell, { global: { plugins: [router] }, attachTo: document.body });
  mounted.push(wrapper);
  await flushPromises();
  return wrapper;
}

describe('NotificationBell', () => {
  beforeAll(refuseRequests);
  afterEach(async () => {
    for (const wrapper of mounted.splice(0)) wrapper.unmount();
    setLocale('en');
    await apolloClient.clearStore();
  });

  it('should show the unread count on a named button, and no count when all are read', async () => {
    store(3, ['JOB_APPROVED', 'JOB_STARTED', 'JOB_COMPLETED']);
    const wrapper = await mountBell();
    expect(wrapper.get('[data-testid="bell-count"]').text()).toBe('3');
    expect(wrapper.get('[data-testid="bell"]').attributes('aria-label')).toBe('Notifications, 3 unread');
    setLocale('fa');
    await flushPromises();
    expect(wrapper.get('[data-testid="bell-count"]').text()).toBe('۳');
    store(0, ['JOB_APPROVED']);
    // The cache tells its watchers of a write on its own schedule, not within one flush.
    await vi.waitFor(() => expect(wrapper.find('[data-testid="bell-count"]').exists()).toBe(false));
  });

  it('should open a panel with the latest notifications, unread ones marked, and close it with Escape', async () => {
    store(1, ['JOB_APPROVED', 'JOB_REJECTED']);
    const wrapper = await mountBell();
    const button = wrapper.get('[data-testid="bell"]');
    expect(button.attributes('aria-expanded')).toBe('false');
    await button.trigger('click');
    expect(button.attributes('aria-expanded')).toBe('true');
    const items = wrapper.findAll('[data-testid="notification"]');
    expect(items.map((i) => [i.attributes('data-kind'), i.attributes('data-unread')])).toEqual([
      ['JOB_APPROVED', 'true'],
      ['JOB_REJECTED', 'false'],
    ]);
    expect(items[0]!.text()).toContain('“job 0” was approved (Unread)');
    await wrapper.get('.notification-bell').trigger('keydown', { key: 'Escape' });
    expect(button.attributes('aria-expanded')).toBe('false');
  });
});
