import { apolloClient } from '../../apollo/client';
import { useSubscription } from '../../apollo/composables';
import { socketGeneration } from '../../apollo/socket';
import { MyQuotaDocument, MyUsageDocument, QuotaChangedDocument, type MyQuotaQuery, type QuotaFieldsFragment } from '../../generated/graphql';
import { isAuthenticated, session } from '../auth/session';

const HISTORY_REFRESH_DELAY_MS = 300;
let historyTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Writes a quota the server pushed into the cache as `me.quota`, so the meter and the submit
 * form's "what would remain" follow it without a request.
 */
export function applyQuotaToCache(userId: string, quota: QuotaFieldsFragment): void {
  apolloClient.cache.writeQuery({
    query: MyQuotaDocument,
    // The generated types leave __typename out; the cache needs it to find the User entry.
    data: { me: { __typename: 'User', id: userId, quota: { ...quota, __typename: 'Quota' } } } as unknown as MyQuotaQuery,
  });
}

/**
 * Keeps the signed-in user's quota live: one `quotaChanged` subscription, restarted on each new
 * socket. It carries what job events alone cannot: an admin's new limit, and refunds of jobs the
 * page never listed. The usage history follows, refetched once per burst. Call once, from the root.
 */
export function useQuotaUpdates(): void {
  useSubscription(
    QuotaChangedDocument,
    (data) => {
      const userId = session.user?.id;
      if (!userId) return;
      applyQuotaToCache(userId, data.quotaChanged);
      clearTimeout(historyTimer);
      historyTimer = setTimeout(() => {
        void apolloClient.refetchQueries({ include: 'active', onQueryUpdated: (query) => query.options.query === MyUsageDocument }).catch(() => undefined);
      }, HISTORY_REFRESH_DELAY_MS);
    },
    { active: () => isAuthenticated.value, restartKey: () => socketGeneration.value },
  );
}
