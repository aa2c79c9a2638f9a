/**
 * A lean GraphQL-over-HTTP client for load: node's http module on kept-alive connections, so the
 * load generator spends as little CPU per request as it can (fetch costs several times more).
 * And the operations the benchmarks send, with the selections the web app uses.
 */
import http from 'node:http';

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
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  /** @param maxSockets connections kept open: one per concurrent client. */
  constructor(baseUrl: string, maxSockets: number) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Sends one operation; resolves with its data, rejects on any error in the answer. */
  request<T>(query: string, variables: Record<string, unknown>, token: string | undefined): Promise<T> {
    const body = JSON.stringify({ query, variables });
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          path: '/graphql',
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: T; errors?: unknown[] };
              if (answer.errors?.length || !answer.data) {
                reject(new GraphQLRequestError(`HTTP ${res.statusCode}: ${JSON.stringify(answer.errors).slice(0, 500)}`));
              } else resolve(answer.data);
            } catch (error) {
              reject(error as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
