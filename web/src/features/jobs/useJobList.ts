import { computed, type MaybeRefOrGetter, toValue } from 'vue';
import { useQuery } from '../../apollo/composables';
import { JobsDocument, type JobFilter, type JobsQueryVariables } from '../../generated/graphql';

export const JOB_PAGE_SIZE = 25;

/**
 * A live, paginated list of jobs for `filter`: newest first, kept up to date by the job
 * updates subscription (see `job-cache.ts`), with `loadMore` for older pages.
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
  };
}
