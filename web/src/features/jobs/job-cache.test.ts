import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../common/job-status';
import { createCache } from '../../apollo/client';
import { applyJobToCache, filterOfStoreFieldName, insertionIndex, jobMatchesFilter } from './job-cache';
import { JobsDocument, type JobFieldsFragment, type JobFilter, type JobEstimateFieldsFragment, type JobsQuery, type JobWaitFieldsFragment } from '../../generated/graphql';

function job(id: string, status: JobStatus, createdAt: string, ownerId = 'u1'): JobFieldsFragment & JobWaitFieldsFragment {
  return {
    id,
    name: `job ${id}`,
    gpuType: 'A100',
    gpuCount: 1,
    hours: 1,
    gpuHours: 1,
    status,
    progress: 0,
    statusReason: null,
    chargedGpuHours: null,
    createdAt,
    approvedAt: null,
    startedAt: null,
    finishedAt: null,
    owner: { id: ownerId, email: `${ownerId}@example.org` },
    priority: 0,
    estimate: null,
  };
}

function seed(cache: ReturnType<typeof createCache>, filter: JobFilter, jobs: (JobFieldsFragment & JobWaitFieldsFragment)[], hasNextPage = false) {
  const data: JobsQuery = {
    jobs: {
      totalCount: jobs.length + (hasNextPage ? 10 : 0),
      pageInfo: { hasNextPage, endCursor: 'end' },
      edges: jobs.map((node) => ({ cursor: `c${node.id}`, node })),
    },
  };
  const withTypes = {
    jobs: {
      __typename: 'JobConnection',
      ...data.jobs,
      pageInfo: { __typename: 'PageInfo', ...data.jobs.pageInfo },
      edges: data.jobs.edges.map((edge) => ({
        __typename: 'JobEdge',
        ...edge,
        node: { __typename: 'Job', ...edge.node, owner: { __typename: 'User', ...edge.node.owner } },
      })),
    },
  };
  cache.writeQuery({ query: JobsDocument, variables: { filter, first: 25 }, data: withTypes as JobsQuery });
}

function read(cache: ReturnType<typeof createCache>, filter: JobFilter) {
  const data = cache.readQuery({ query: JobsDocument, variables: { filter, first: 25 } });
  return { ids: data?.jobs.edges.map((edge) => edge.node.id), totalCount: data?.jobs.totalCount, statuses: data?.jobs.edges.map((e) => e.node.status) };
}

describe('job list helpers', () => {
  it('should read the filter back from the cache field name', () => {
    expect(filterOfStoreFieldName('jobs:{}')).toEqual({});
    expect(filterOfStoreFieldName('jobs')).toEqual({});
    expect(filterOfStoreFieldName('jobs:{"filter":{"status":"PENDING"}}')).toEqual({ status: JobStatus.PENDING });
    expect(filterOfStoreFieldName('jobs:{"filter":{"status":null,"userId":"7"}}')).toEqual({ userId: '7' });
  });

  it('should match jobs to filters by status and owner', () => {
    const j = job('1', JobStatus.RUNNING, '2025-11-01T00:00:00Z', 'u7');
    expect(jobMatchesFilter(j, {})).toBe(true);
    expect(jobMatchesFilter(j, { status: JobStatus.RUNNING, userId: 'u7' })).toBe(true);
    expect(jobMatchesFilter(j, { status: JobStatus.PENDING })).toBe(false);
    expect(jobMatchesFilter(j, { userId: 'u8' })).toBe(false);
  });

  it('should place a job newest first, or leave it to a later page', () => {
    const loaded = [
      { id: '3', createdAt: '2025-11-03T00:00:00Z' },
      { id: '1', createdAt: '2025-11-01T00:00:00Z' },
    ];
    expect(insertionIndex({ id: '4', createdAt: '2025-11-04T00:00:00Z' }, loaded, false)).toBe(0);
    expect(insertionIndex({ id: '2', createdAt: '2025-11-02T00:00:00Z' }, loaded, false)).toBe(1);
    expect(insertionIndex({ id: '0', createdAt: '2025-10-01T00:00:00Z' }, loaded, false)).toBe(2);
    expect(insertionIndex({ id: '0', createdAt: '2025-10-01T00:00:00Z' }, loaded, true)).toBeNull();
  });
});

describe('applyJobToCache', () => {
  it('should add a new job to every list it matches, at the top', () => {
    const cache = createCache();
    seed(cache, {}, [job('1', JobStatus.RUNNING, '2025-11-01T00:00:00Z')]);
    seed(cache, { status: JobStatus.PENDING }, []);
    seed(cache, { status: JobStatus.RUNNING }, [job('1', JobStatus.RUNNING, '2025-11-01T00:00:00Z')]);
    applyJobToCache(cache, job('2', JobStatus.PENDING, '2025-11-02T00:00:00Z'));
    expect(read(cache, {})).toMatchObject({ ids: ['2', '1'], totalCount: 2 });
    expect(read(cache, { status: JobStatus.PENDING })).toMatchObject({ ids: ['2'], totalCount: 1 });
    expect(read(cache, { status: JobStatus.RUNNING })).toMatchObject({ ids: ['1'], totalCount: 1 });
  });

  it('should move a job between status lists when its status changes', () => {
    const cache = createCache();
    const pending = job('2', JobStatus.PENDING, '2025-11-02T00:00:00Z');
    seed(cache, {}, [pending]);
    seed(cache, { status: JobStatus.PENDING }, [pending]);
    seed(cache, { status: JobStatus.APPROVED }, []);
    applyJobToCache(cache, { ...pending, status: JobStatus.APPROVED });
    expect(read(cache, {})).toMatchObject({ ids: ['2'], statuses: ['APPROVED'] });
    expect(read(cache, { status: JobStatus.PENDING })).toMatchObject({ ids: [], totalCount: 0 });
    expect(read(cache, { status: JobStatus.APPROVED })).toMatchObject({ ids: ['2'], totalCount: 1 });
  });

  it('should update progress in place without touching list membership', () => {
    const cache = createCache();
    const running = job('1', JobStatus.RUNNING, '2025-11-01T00:00:00Z');
    seed(cache, { userId: 'u1' }, [running]);
    applyJobToCache(cache, { ...running, progress: 42 });
    const data = cache.readQuery({ query: JobsDocument, variables: { filter: { userId: 'u1' }, first: 25 } });
    expect(data?.jobs.edges.map((e) => e.node.progress)).toEqual([42]);
    expect(data?.jobs.totalCount).toBe(1);
  });

  it("should keep other users' jobs out of a user's list", () => {
    const cache = createCache();
    seed(cache, { userId: 'u1' }, []);
    applyJobToCache(cache, job('9', JobStatus.PENDING, '2025-11-02T00:00:00Z', 'u2'));
    expect(read(cache, { userId: 'u1' }).ids).toEqual([]);
  });

  it('should leave an old job to a later page of a long list', () => {
    const cache = createCache();
    seed(cache, {}, [job('5', JobStatus.PENDING, '2025-11-05T00:00:00Z')], true);
    applyJobToCache(cache, job('1', JobStatus.RUNNING, '2025-11-01T00:00:00Z'));
    expect(read(cache, {}).ids).toEqual(['5']);
  });

  it("should bring a new job's priority and estimate into the lists, which select them", () => {
    const cache = createCache();
    seed(cache, { userId: 'u1' }, []);
    const estimate: JobEstimateFieldsFragment = {
      position: 2,
      jobsAhead: 1,
      startBy: '2025-11-02T16:40:00Z',
      likelyStart: '2025-11-02T15:10:00Z',
      reason: 'BEHIND_HIGHER_PRIORITY',
      message: '2nd in the A100 queue; 1 job ahead of it',
      gpusFree: 0,
      largestNodeGpus: 8,
      plannedAt: '2025-11-02T12:00:00Z',
    };
    applyJobToCache(cache, { ...job('3', JobStatus.APPROVED, '2025-11-02T00:00:00Z'), priority: 5, estimate });
    const data = cache.readQuery({ query: JobsDocument, variables: { filter: { userId: 'u1' }, first: 25 } });
    expect(data?.jobs.edges.map((e) => [e.node.id, e.node.priority, e.node.estimate?.position, e.node.estimate?.reason])).toEqual([
      ['3', 5, 2, 'BEHIND_HIGHER_PRIORITY'],
    ]);
  });

  it('should keep the estimate a job has when a change comes without one (an admin action answers with the job fields only)', () => {
    const cache = createCache();
    const approved = { ...job('4', JobStatus.APPROVED, '2025-11-02T00:00:00Z'), priority: 3 };
    seed(cache, {}, [approved]);
    const { priority: _priority, estimate: _estimate, ...fieldsOnly } = approved;
    applyJobToCache(cache, { ...fieldsOnly, progress: 0, name: 'renamed' });
    const data = cache.readQuery({ query: JobsDocument, variables: { filter: {}, first: 25 } });
    expect(data?.jobs.edges.map((e) => [e.node.name, e.node.priority])).toEqual([['renamed', 3]]);
  });
});
