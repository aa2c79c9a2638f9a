/**
 * A lean GraphQL-over-HTTP client for load, and the operations the benchmarks send, with the
 * selections the web app uses. The load generator shares the machine's cores with the servers it
 * measures, so its CPU per request is taken from theirs: it sends through undici's lowest level
 * (`Pool.dispatch` on kept-alive connections), which costs about a third of node:http's client
 * per request (0.025 against 0.073 ms on the 2-core benchmark machine for a small JSON answer),
 * about what the raw-SQL baselines' `pg` client costs per statement, so an HTTP cell and its raw
 * baseline pay alike for their load. Every HTTP cell (gpuaas, PostGraphile, Apollo, node:http) is
 * driven by this client.
 */
import { Pool, type Dispatcher } from 'undici';

/** The web app's job fields (web/src/features/jobs/job-fields.graphql). */
const JOB_FIELDS = `fragment JobFields on Job {
  id name gpuType gpuCount hours gpuHours status progress statusReason chargedGpuHours
  createdAt approvedAt startedAt finishedAt owner { id email }
}`;

/** Submitting a job, as the web app's form does. */
export const CREATE_JOB = `mutation CreateJob($input: CreateJobInput!) { createJob(input: $input) { ...JobFields } }
${JOB_FIELDS}`;

/** Cancelling a job. */
export const CANCEL_JOB = `mutation CancelJob($id: ID!) { cancelJob(id: $id) { ...JobFields } }
${JOB_FIELDS}`;

/** One page of the job list, as the web app's table asks for it. */
export const JOBS_PAGE = `query Jobs($first: Int!, $after: String) {
  jobs(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...JobFields } }
  }
}
${JOB_FIELDS}`;

/** Starting an approved job, as the admin's start button does (web/src/features/admin/start-job.graphql). */
export const START_JOB = `mutation StartJob($id: ID!, $nodeId: ID) {
  startJob(id: $id, nodeId: $nodeId) { ...JobFields allocation { gpuIndices node { id name } } }
}
${JOB_FIELDS}`;

/** Every GPU type's pool, as the Cluster page asks for it (web/src/features/cluster/gpu-pool-fields.graphql). */
export const CLUSTER = `query Cluster {
  cluster { gpuType nodes totalGpus upGpus allocatedGpus freeGpus drainingGpus largestFreeBlock largestNodeGpus queuedJobs queuedGpus }
}`;

/** Allocated GPUs per bucket of a window, as the Cluster page's chart asks for them (web/src/features/cluster/utilization.graphql). */
export const UTILIZATION = `query Utilization($from: DateTime!, $to: DateTime!, $buckets: Int!, $gpuType: String) {
  utilization(from: $from, to: $to, buckets: $buckets, gpuType: $gpuType) { at allocatedGpus capacityGpus }
}`;

/** The live updates the web app subscribes to. */
export const JOB_STATUS_CHANGED = `subscription JobStatusChanged {
  jobStatusChanged { previousStatus status progress at job { ...JobFields } }
}
${JOB_FIELDS}`;

/** A GraphQL error answer (or a transport failure). */
export class GraphQLRequestError extends Error {}

export class GraphQLHttpClient {
  private readonly pool: Pool;

  /** @param connections connections kept open: one per concurrent client. */
  constructor(baseUrl: string, connections: number) {
    this.pool = new Pool(new URL(baseUrl).origin, { connections, pipelining: 1 });
  }

  /** Sends one operation; resolves with its data, rejects on any error in the answer. */
  request<T>(query: string, variables: Record<string, unknown>, token: string | undefined): Promise<T> {
    const body = JSON.stringify({ query, variables });
    const headers = token === undefined ? ['content-type', 'application/json'] : ['content-type', 'application/json', 'authorization', `Bearer ${token}`];
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status = 0;
      // undici's own handler shape (the one its request() uses), with no adapter in between.
      const handler: Dispatcher.DispatchHandler = {
        onConnect: () => {},
        onError: reject,
        onHeaders: (statusCode) => {
          status = statusCode;
          return true;
        },
        onData: (chunk) => {
          chunks.push(chunk);
          return true;
        },
        onComplete: () => {
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: T; errors?: unknown[] };
            if (answer.errors?.length || !answer.data) {
              reject(new GraphQLRequestError(`HTTP ${status}: ${JSON.stringify(answer.errors).slice(0, 500)}`));
            } else resolve(answer.data);
          } catch (error) {
            reject(error as Error);
          }
        },
      };
      this.pool.dispatch({ path: '/graphql', method: 'POST', headers, body }, handler);
    });
  }

  close(): void {
    this.pool.destroy().catch(() => {});
  }
}
