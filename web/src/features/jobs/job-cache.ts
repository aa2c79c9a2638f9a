import type { ApolloCache, Reference } from '@apollo/client';
import type { JobStatus } from '../../../../common/job-status';
import {
  JobFieldsFragmentDoc,
  JobWaitFieldsFragmentDoc,
  type JobFieldsFragment,
  type JobFilter,
  type JobWaitFieldsFragment,
} from '../../generated/graphql';

/** A `jobs` connection as the cache stores it: edges point at normalised Job objects. */
interface StoredJobConnection {
  __typename?: string;
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: readonly StoredJobEdge[];
}
interface StoredJobEdge {
  __typename?: string;
  cursor: string;
  node: Reference;
}

/**
 * The filter a stored `jobs` field was fetched with. The field policy keys lists by
 * `filter { status userId }`, so the cache names them `jobs:{"filter":{...}}`.
 */
export function filterOfStoreFieldName(storeFieldName: string): JobFilter {
  const colon = storeFieldName.indexOf(':');
  if (colon < 0) return {};
  try {
    const args = JSON.parse(storeFieldName.slice(colon + 1)) as { filter?: { status?: JobStatus | null; userId?: string | null } | null };
    const filter: JobFilter = {};
    if (args.filter?.status) filter.status = args.filter.status;
    if (args.filter?.userId) filter.userId = args.filter.userId;
    return filter;
  } catch {
    return {};
  }
}

/** Whether `job` belongs in a list fetched with `filter`. */
export function jobMatchesFilter(job: Pick<JobFieldsFragment, 'status' | 'owner'>, filter: JobFilter): boolean {
  return (!filter.status || filter.status === job.status) && (!filter.userId || filter.userId === job.owner.id);
}

/** Lists are newest first by (createdAt, id), like the server's cursors. */
export function isNewer(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): boolean {
  const at = Date.parse(a.createdAt);
  const bt = Date.parse(b.createdAt);
  if (at !== bt) return at > bt;
  return a.id.localeCompare(b.id, undefined, { numeric: true }) > 0;
}

/**
 * Where a job goes in a newest-first list of `loaded` jobs: its index, or null when it sorts
 * after the last loaded job of a list that has more pages (the next page will bring it).
 */
export function insertionIndex(
  job: { createdAt: string; id: string },
  loaded: readonly { createdAt: string; id: string }[],
  hasNextPage: boolean,
): number | null {
  const index = loaded.findIndex((other) => isNewer(job, other));
  if (index >= 0) return index;
  return hasNextPage ? null : loaded.length;
}

/**
 * Applies one `jobStatusChanged` event to the cache: the job itself (so every view of it
 * updates), and every stored `jobs` list: a job that now matches a list's filter joins it in
 * order (a new job, or one whose status now matches), one that no longer matches leaves it.
 * A job that comes with its priority and estimate (the event, a new job) brings them too, so
 * the lists, which show them, find every field of a job that joins them.
 */
export function applyJobToCache(cache: ApolloCache, job: JobFieldsFragment & Partial<JobWaitFieldsFragment>): void {
  const jobWithType = { ...job, __typename: 'Job' as const, owner: { ...job.owner, __typename: 'User' as const } };
  const id = cache.identify(jobWithType);
  cache.writeFragment({ fragment: JobFieldsFragmentDoc, data: jobWithType, id });
  if (job.priority !== undefined && job.estimate !== undefined) {
    // Typenames let the cache match the fragments' type conditions.
    const wait = { __typename: 'Job', id: job.id, priority: job.priority, estimate: job.estimate && { ...job.estimate, __typename: 'JobEstimate' } };
    cache.writeFragment({ fragment: JobWaitFieldsFragmentDoc, fragmentName: 'JobWaitFields', data: wait, id });
  }
  cache.modify({
    id: 'ROOT_QUERY',
    fields: {
      jobs(value, { storeFieldName, readField, toReference }) {
        const existing = value as unknown as StoredJobConnection;
        if (!existing || !Array.isArray(existing.edges)) return value;
        const filter = filterOfStoreFieldName(storeFieldName);
        const position = existing.edges.findIndex((edge) => readField<string>('id', edge.node) === job.id);
        const matches = jobMatchesFilter(job, filter);
        if (matches && position < 0) {
          const loaded = existing.edges.map((edge) => ({
            id: readField<string>('id', edge.node) ?? '',
            createdAt: readField<string>('createdAt', edge.node) ?? '',
          }));
          const index = insertionIndex(job, loaded, existing.pageInfo.hasNextPage);
          const node = toReference(jobWithType);
          if (index === null || !node) return value;
          const edge: StoredJobEdge = { __typename: 'JobEdge', cursor: '', node };
          const edges = [...existing.edges.slice(0, index), edge, ...existing.edges.slice(index)];
          return { ...existing, edges, totalCount: existing.totalCount + 1 } as unknown as typeof value;
        }
        if (!matches && position >= 0) {
          const edges = existing.edges.filter((_, i) => i !== position);
          return { ...existing, edges, totalCount: Math.max(0, existing.totalCount - 1) } as unknown as typeof value;
        }
        return value;
      },
    },
  });
}
