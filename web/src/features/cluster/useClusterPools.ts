import { computed, ref } from 'vue';
import { apolloClient } from '../../apollo/client';
import { useQuery, useSubscription } from '../../apollo/composables';
import { socketGeneration } from '../../apollo/socket';
import { ClusterChangedDocument, ClusterDocument } from '../../generated/graphql';
import { isAuthenticated } from '../auth/session';

/**
 * Every GPU type's pool, live: the `cluster` query, then each `clusterChanged` message written over
 * it in the cache, so every view of the pools updates in place. `changes` counts the messages, for
 * views that follow the pools with a query of their own (utilization, the node list).
 */
export function useClusterPools() {
  const query = useQuery(ClusterDocument);
  const changes = ref(0);
  useSubscription(
    ClusterChangedDocument,
    (data) => {
      apolloClient.cache.writeQuery({ query: ClusterDocument, data: { cluster: data.clusterChanged } });
      changes.value += 1;
    },
    { active: () => isAuthenticated.value, restartKey: () => socketGeneration.value },
  );
  return {
    pools: computed(() => query.data.value?.cluster ?? null),
    error: query.error,
    loading: query.loading,
    changes,
  };
}
