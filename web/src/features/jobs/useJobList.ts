import { computed, type MaybeRefOrGetter, toValue } from 'vue';
import { apolloClient } from '../../apollo/client';
import { useQuery } from '../../apollo/composables';
import { JobsDocument, type JobFilter, type JobsQueryVariables } from '../../generated/graphql';

export const JOB_PAGE_SIZE = 25;
/** The most jobs the API sends in one page. */
export const MAX_JOB_PAGE_SIZE = 100;

/**
 * A live, paginated list of jobs for `filter`: newest first, kept up to date by the job
 * updates subscription (see `job-cache.ts`), with `loadMore` for older pages and `refresh` for
 * what no event of the list's own jobs brings (their estimates, moved by other users' jobs).
 */
export function useJobList(filter: MaybeRefOrGetter<JobFilter>) {
  const variables = computed<JobsQueryVariables>(() => ({ filter: toValue(filter), first: JOB_PAGE_SIZE }));
  const query = useQuery(JobsDocument, variables);
  const connection = computed(() => query.data.value?.jobs);
  return {
    jobs: computed(() => connection.value?.edges.map((edge) => edge.node) ?? []),
    totalCount: computed(() => connection.value?.totalCount ?? 0),
    hasNextPage: computed(() => connection.value?.pageInfo.hasNextPage ?? false),
    loading: query.loading,
    error: query.error,
    refetch: query.refetch,
    loadMore: () => query.fetchMore({ after: connection.value?.pageInfo.endCursor ?? null }),
    /**
     * Fetches the loaded jobs again in one request, as a first page as long as all of them (up to
     * the API's page limit): the cache stores the list by filter only, so the pages loaded stay
     * loaded, where a plain refetch would shrink the list to its first page.
     */
    refresh: () =>
      apolloClient
        .query({
          query: JobsDocument,
          variables: { ...variables.value, first: Math.min(MAX_JOB_PAGE_SIZE, Math.max(JOB_PAGE_SIZE, connection.value?.edges.length ?? 0)) },
          fetchPolicy: 'network-only',
        })
        .catch(() => undefined),
  };
}
