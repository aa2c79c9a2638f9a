/**
 * What the tests build their data from: the GraphQL operations they share, the job as they read
 * it, and factories that make users' jobs through the real API (submitting as the owner, moving
 * the lifecycle as the admin), the way a client would. Every factory makes fresh data, so each
 * test owns what it made and tests can run in any order.
 */
import type pg from 'pg';
import { JobStatus, type JobAction } from '../src/modules/jobs/job-status.js';
import { randomUUID } from 'node:crypto';
import type { PoolRecord } from '../src/modules/cluster/cluster.queries.js';
import { TEST_PASSWORD, type GqlResponse, type TestServer, type TestUser } from './harness.js';

/** Anything that answers GraphQL over HTTP: the in-process test server or a child process. */
export interface GqlEndpoint {
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResponse<T>>;
}

// ---- Operations -----------------------------------------------------------------------------

/** Every field of a job, its owner and its timeline. */
export const JOB_FIELDS = `id name gpuType gpuCount hours gpuHours status progress statusReason chargedGpuHours
  createdAt approvedAt startedAt finishedAt owner { id email } events { at from to actor { id } reason }`;

/** A job as `JOB_FIELDS` selects it. */
export interface JobView {
  id: string;
  name: string;
  gpuType: string;
  gpuCount: number;
  hours: number;
  gpuHours: number;
  status: JobStatus;
  progress: number;
  statusReason: string | null;
  chargedGpuHours: number | null;
  createdAt: string;
  approvedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  owner: { id: string; email: string };
  events: { at: string; from: JobStatus | null; to: JobStatus; actor: { id: string } | null; reason: string | null }[];
}

/** What `createJob` takes. */
export interface JobInput {
  name: string;
  gpuType?: string | null;
  gpuCount: number;
  hours: number;
}

/** A month's quota as the API shows it. */
export interface QuotaView {
  month: string;
  limitGpuHours: number;
  usedGpuHours: number;
  remainingGpuHours: number;
}

const QUOTA_FIELDS = 'month limitGpuHours usedGpuHours remainingGpuHours';

// Operations are named, as the web app names its own: the metrics label latency by that name.
export const REGISTER = 'mutation Register($input: RegisterInput!) { register(input: $input) { token user { id } } }';
export const LOGIN = 'mutation Login($input: LoginInput!) { login(input: $input) { token user { id } } }';
export const CREATE_JOB = `mutation CreateJob($input: CreateJobInput!) { createJob(input: $input) { ${JOB_FIELDS} } }`;
export const JOB = `query Job($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`;
export const ME_QUOTA = `query MyQuota { me { id quota { ${QUOTA_FIELDS} } } }`;
export const SET_QUOTA = `mutation SetUserQuota($userId: ID!, $limitGpuHours: Float!) {
  setUserQuota(userId: $userId, limitGpuHours: $limitGpuHours) { ${QUOTA_FIELDS} }
}`;

/** The mutation of each action of the lifecycle table, its job aliased `job`. */
export const TRANSITION_MUTATIONS: Record<JobAction, string> = {
  approve: `mutation ApproveJob($id: ID!) { job: approveJob(id: $id) { ${JOB_FIELDS} } }`,
  reject: `mutation RejectJob($id: ID!, $reason: String) { job: rejectJob(id: $id, reason: $reason) { ${JOB_FIELDS} } }`,
  start: `mutation StartJob($id: ID!) { job: startJob(id: $id) { ${JOB_FIELDS} } }`,
  complete: `mutation CompleteJob($id: ID!) { job: completeJob(id: $id) { ${JOB_FIELDS} } }`,
  fail: `mutation FailJob($id: ID!, $reason: String) { job: failJob(id: $id, reason: $reason) { ${JOB_FIELDS} } }`,
  cancel: `mutation CancelJob($id: ID!) { job: cancelJob(id: $id) { ${JOB_FIELDS} } }`,
};

/** The actions that lead a new PENDING job to each status. */
export const PATH_TO: Record<JobStatus, readonly JobAction[]> = {
  [JobStatus.PENDING]: [],
  [JobStatus.APPROVED]: ['approve'],
  [JobStatus.REJECTED]: ['reject'],
  [JobStatus.RUNNING]: ['approve', 'start'],
  [JobStatus.COMPLETED]: ['approve', 'start', 'complete'],
  [JobStatus.FAILED]: ['approve', 'start', 'fail'],
  [JobStatus.CANCELLED]: ['cancel'],
};

/** Statuses the simulator ends a run in. */
export const RUN_OUTCOMES: readonly string[] = [JobStatus.COMPLETED, JobStatus.FAILED];

// ---- Factories ------------------------------------------------------------------------------

/** A job request every validation accepts. */
export const VALID_JOB: JobInput = { name: 'train resnet', gpuType: 'A100', gpuCount: 1, hours: 1 };

/** An email no test has used: `prefix` and a random part. */
export function freshEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.org`;
}

/** Registers a fresh user through `api` and returns it signed in. */
export async function signUp(api: GqlEndpoint, prefix = 'user'): Promise<TestUser> {
  const email = freshEmail(prefix);
  const res = await api.gql<{ register: { token: string; user: { id: string } } }>(REGISTER, { input: { email, password: TEST_PASSWORD } });
  const { register } = dataOf(res, 'register');
  return { id: register.user.id, email, token: register.token };
}

/** Signs in through `api` with `email` and `password`; the user must exist. */
export async function signIn(api: GqlEndpoint, email: string, password: string): Promise<TestUser> {
  const { login } = dataOf(await api.gql<{ login: { token: string; user: { id: string } } }>(LOGIN, { input: { email, password } }), 'login');
  return { id: login.user.id, email, token: login.token };
}

/** Fails with the response's errors unless it has data. */
export function dataOf<T>(res: GqlResponse<T>, what: string): T {
  if (res.errors?.length || !res.data) throw new Error(`${what} failed (HTTP ${res.status}): ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** Sends `createJob` as `user` with `VALID_JOB` overridden by `input`, whatever the answer. */
export function createJob(api: GqlEndpoint, user: Pick<TestUser, 'token'>, input: Record<string, unknown> = {}): Promise<GqlResponse<{ createJob: JobView }>> {
  return api.gql<{ createJob: JobView }>(CREATE_JOB, { input: { ...VALID_JOB, ...input } }, user.token);
}

/** Submits a job that must be accepted: `VALID_JOB` with `overrides`. */
export async function submitJob(api: GqlEndpoint, user: Pick<TestUser, 'token'>, overrides: Partial<JobInput> = {}): Promise<JobView> {
  return dataOf(await createJob(api, user, overrides), 'createJob').createJob;
}

/** Sends one lifecycle mutation, whatever the answer; `reason` goes to reject and fail. */
export function transition(api: GqlEndpoint, action: JobAction, id: string, token: string | undefined, reason?: string): Promise<GqlResponse<{ job: JobView }>> {
  return api.gql<{ job: JobView }>(TRANSITION_MUTATIONS[action], reason === undefined ? { id } : { id, reason }, token);
}

/** Applies a lifecycle action that must succeed; returns the job after it. */
export async function mustTransition(api: GqlEndpoint, action: JobAction, id: string, token: string | undefined, reason?: string): Promise<JobView> {
  return dataOf(await transition(api, action, id, token, reason), action).job;
}

/** Who a job made by `jobIn` belongs to, what it asks for, and which process it is sent to. */
export interface JobInOptions extends Partial<JobInput> {
  /** The owner; a fresh user when omitted. */
  owner?: TestUser;
  /** Where the mutations go (say, another API process); the test server by default. */
  via?: GqlEndpoint;
}

/**
 * A fresh job already in `status`: submitted by its owner, then moved along the lifecycle by
 * the configured admin, through the same mutations a client sends.
 */
export async function jobIn(server: TestServer, status: JobStatus, { owner, via = server, ...input }: JobInOptions = {}): Promise<JobView> {
  const [user, admin] = await Promise.all([owner ?? server.register(), server.loginAdmin()]);
  let job = await submitJob(via, user, input);
  for (const action of PATH_TO[status]) job = await mustTransition(via, action, job.id, admin.token);
  if (job.status !== status) throw new Error(`jobIn: the job is ${job.status}, not ${status}`);
  return job;
}

/** `user`'s quota of this month, as they see it. */
export async function quotaOf(api: GqlEndpoint, user: Pick<TestUser, 'token'>): Promise<QuotaView> {
  return dataOf(await api.gql<{ me: { quota: QuotaView } }>(ME_QUOTA, {}, user.token), 'me').me.quota;
}

/** Sets a user's monthly limit as the admin, whatever the answer. */
export async function setQuota(server: TestServer, userId: string, limitGpuHours: unknown): Promise<GqlResponse<{ setUserQuota: QuotaView }>> {
  const admin = await server.loginAdmin();
  return server.gql<{ setUserQuota: QuotaView }>(SET_QUOTA, { userId, limitGpuHours }, admin.token);
}

/** The `n` of a `select count(*)::int as n …` statement. */
export async function countOf(db: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql, params);
  return rows[0]!.n;
}

/** The `jobs` rows of `ids`, every column, ordered by id. */
export async function jobRows<T extends pg.QueryResultRow>(db: pg.Pool, ids: string[]): Promise<T[]> {
  return (await db.query<T>('select * from jobs where id = any($1::uuid[]) order by id', [ids])).rows;
}

/**
 * How many terminal transitions (to COMPLETED, FAILED or CANCELLED) each job has, of `ids` or
 * of every job: a job that finished exactly once has one.
 */
export async function terminalTransitions(db: pg.Pool, ids?: string[]): Promise<{ job_id: string; n: number }[]> {
  const res = await db.query<{ job_id: string; n: number }>(
    `select j.id as job_id, count(e.id)::int as n
       from jobs j left join job_events e
         on e.job_id = j.id and e.kind = 'TRANSITION' and e.to_status in ('COMPLETED', 'FAILED', 'CANCELLED')
      where $1::uuid[] is null or j.id = any($1::uuid[])
      group by j.id
      order by j.id`,
    [ids ?? null],
  );
  return res.rows;
}

// ---- Waiting --------------------------------------------------------------------------------

/**
 * Polls `check` until it returns a value other than undefined or false, and returns it; fails
 * after `timeoutMs`, saying what it waited for.
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- The GPU inventory ------------------------------------------------------------------------

/** Every field of a node, with the job holding each of its GPUs. */
export const NODE_FIELDS = 'id name gpuType gpuCount state freeGpus gpus { index job { id name owner { email } } }';

/** Every field of a GPU type's pool. */
export const POOL_FIELDS = `gpuType nodes totalGpus upGpus allocatedGpus freeGpus drainingGpus largestFreeBlock
  largestNodeGpus queuedJobs queuedGpus`;

/** A node as `NODE_FIELDS` selects it. */
export interface NodeView {
  id: string;
  name: string;
  gpuType: string;
  gpuCount: number;
  state: 'UP' | 'DRAINING' | 'DOWN';
  freeGpus: number;
  gpus: { index: number; job: { id: string; name: string; owner: { email: string } } | null }[];
}

/** A pool as `POOL_FIELDS` selects it: every field of the server's own record. */
export type PoolView = PoolRecord;

/** Where a job runs or ran. */
export interface AllocationView {
  node: { id: string; name: string };
  gpuIndices: number[];
}

export const ADD_NODE = `mutation AddGpuNode($input: AddGpuNodeInput!) { addGpuNode(input: $input) { ${NODE_FIELDS} } }`;
export const UPDATE_NODE = `mutation UpdateGpuNode($id: ID!, $input: UpdateGpuNodeInput!) {
  updateGpuNode(id: $id, input: $input) { ${NODE_FIELDS} }
}`;
export const REMOVE_NODE = 'mutation RemoveGpuNode($id: ID!) { removeGpuNode(id: $id) }';
export const GPU_NODES = `query GpuNodes { gpuNodes { ${NODE_FIELDS} } }`;
export const CLUSTER = `query Cluster { cluster { ${POOL_FIELDS} } }`;
export const GPU_TYPES = 'query GpuTypes { gpuTypes }';
export const UTILIZATION = `query Utilization($gpuType: String, $from: DateTime!, $to: DateTime!, $buckets: Int!) {
  utilization(gpuType: $gpuType, from: $from, to: $to, buckets: $buckets) { at allocatedGpus capacityGpus }
}`;
/** `startJob` on a chosen node (or the best fit without one), with where the job landed. */
export const START_JOB_ON = `mutation StartJobOn($id: ID!, $nodeId: ID) {
  job: startJob(id: $id, nodeId: $nodeId) { ${JOB_FIELDS} allocation { node { id name } gpuIndices } }
}`;
export const JOB_ALLOCATION = 'query JobAllocation($id: ID!) { job(id: $id) { id status allocation { node { id name } gpuIndices } } }';

/** A GPU type no other test uses, so a test's pool is its own. */
export function freshGpuType(prefix = 'T'): string {
  return `${prefix}${randomUUID().slice(0, 8)}`;
}

/** A node name no other test uses. */
export function freshNodeName(prefix = 'node'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Sends `addGpuNode` as `token`, whatever the answer. */
export function addNodeAs(api: GqlEndpoint, token: string | undefined, input: Record<string, unknown>): Promise<GqlResponse<{ addGpuNode: NodeView }>> {
  return api.gql<{ addGpuNode: NodeView }>(ADD_NODE, { input }, token);
}

/** Adds a node as the admin that must be accepted: a fresh name unless given. */
export async function addNode(server: TestServer, input: { gpuType: string; gpuCount: number; name?: string }): Promise<NodeView> {
  const admin = await server.loginAdmin();
  return dataOf(await addNodeAs(server, admin.token, { name: freshNodeName(), ...input }), 'addGpuNode').addGpuNode;
}

/** Sends `updateGpuNode` as `token`, whatever the answer. */
export function updateNodeAs(
  api: GqlEndpoint,
  token: string | undefined,
  id: string,
  input: { state?: NodeView['state']; gpuCount?: number },
): Promise<GqlResponse<{ updateGpuNode: NodeView }>> {
  return api.gql<{ updateGpuNode: NodeView }>(UPDATE_NODE, { id, input }, token);
}

/** Changes a node as the admin; the change must be accepted. */
export async function updateNode(server: TestServer, id: string, input: { state?: NodeView['state']; gpuCount?: number }): Promise<NodeView> {
  const admin = await server.loginAdmin();
  return dataOf(await updateNodeAs(server, admin.token, id, input), 'updateGpuNode').updateGpuNode;
}

/** A job after a start, with where it landed. */
export type StartedJob = JobView & { allocation: AllocationView | null };

/** Sends `startJob` for `id` as `token`, on `nodeId` when given, whatever the answer. */
export function startJob(api: GqlEndpoint, id: string, token: string | undefined, nodeId?: string): Promise<GqlResponse<{ job: StartedJob }>> {
  return api.gql<{ job: StartedJob }>(START_JOB_ON, nodeId === undefined ? { id } : { id, nodeId }, token);
}

/** A fresh job of `input` started by the admin (on `nodeId` when given); the start must succeed. */
export async function runningJob(server: TestServer, input: JobInOptions & { nodeId?: string }): Promise<StartedJob> {
  const { nodeId, ...rest } = input;
  const [approved, admin] = await Promise.all([jobIn(server, JobStatus.APPROVED, rest), server.loginAdmin()]);
  return dataOf(await startJob(rest.via ?? server, approved.id, admin.token, nodeId), 'startJob').job;
}

/** Every live node as the admin sees it. */
export async function gpuNodes(server: TestServer): Promise<NodeView[]> {
  const admin = await server.loginAdmin();
  return dataOf(await server.gql<{ gpuNodes: NodeView[] }>(GPU_NODES, {}, admin.token), 'gpuNodes').gpuNodes;
}

/** The live node named `name`, as the admin sees it; undefined when there is none. */
export async function nodeNamed(server: TestServer, name: string): Promise<NodeView | undefined> {
  return (await gpuNodes(server)).find((n) => n.name === name);
}

/** The pool of `gpuType` as `user` (the admin by default) sees it; undefined when it has no node. */
export async function poolOf(server: TestServer, gpuType: string, user?: Pick<TestUser, 'token'>): Promise<PoolView | undefined> {
  const token = (user ?? (await server.loginAdmin())).token;
  return dataOf(await server.gql<{ cluster: PoolView[] }>(CLUSTER, {}, token), 'cluster').cluster.find((p) => p.gpuType === gpuType);
}

/** A job's allocation as `token` (the admin by default) sees it. */
export async function allocationOf(server: TestServer, jobId: string, token?: string): Promise<AllocationView | null> {
  const viewer = token ?? (await server.loginAdmin()).token;
  return dataOf(await server.gql<{ job: { allocation: AllocationView | null } }>(JOB_ALLOCATION, { id: jobId }, viewer), 'job').job.allocation;
}

/** (node, GPU index) pairs that more than one unfinished allocation holds: none, ever. */
export async function gpusHeldTwice(db: pg.Pool): Promise<{ node_id: string; gpu_index: number; n: number }[]> {
  const res = await db.query<{ node_id: string; gpu_index: number; n: number }>(
    `select node_id, gpu_index, count(*)::int as n
       from gpu_allocations where released_at is null
      group by node_id, gpu_index having count(*) > 1
      order by node_id, gpu_index`,
  );
  return res.rows;
}

/** The GPUs each job of `ids` holds now (unreleased rows), by job id: node and sorted indices. */
export async function heldBy(db: pg.Pool, ids: string[]): Promise<Map<string, { nodeId: string; indices: number[] }[]>> {
  const res = await db.query<{ job_id: string; node_id: string; indices: number[] }>(
    `select job_id, node_id, array_agg(gpu_index order by gpu_index) as indices
       from gpu_allocations where released_at is null and job_id = any($1::uuid[])
      group by job_id, node_id order by job_id, node_id`,
    [ids],
  );
  const held = new Map<string, { nodeId: string; indices: number[] }[]>();
  for (const r of res.rows) held.set(r.job_id, [...(held.get(r.job_id) ?? []), { nodeId: r.node_id, indices: r.indices }]);
  return held;
}
