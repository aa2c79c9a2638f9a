/** Result and variable types of the jobs feature's operations (see the `.graphql` files beside). */

export const JOB_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** `fragment JobFields` */
export interface JobFields {
  __typename?: 'Job';
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
  owner: { __typename?: 'User'; id: string; email: string };
}

export interface JobEvent {
  at: string;
  from: JobStatus | null;
  to: JobStatus;
  reason: string | null;
  actor: { id: string; email: string } | null;
}

export interface JobFilter {
  status?: JobStatus;
  userId?: string;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface JobConnection {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { cursor: string; node: JobFields }[];
}

export interface JobsData {
  jobs: JobConnection;
}
export interface JobsVariables {
  filter?: JobFilter;
  first: number;
  after?: string | null;
}

export interface JobData {
  job: JobFields & { events: JobEvent[] };
}
export interface JobVariables {
  id: string;
}

export interface GpuTypesData {
  gpuTypes: string[];
}

export interface CreateJobInput {
  name: string;
  gpuType: string;
  gpuCount: number;
  hours: number;
}
export interface CreateJobData {
  createJob: JobFields;
}
export interface CreateJobVariables {
  input: CreateJobInput;
}

export interface CancelJobData {
  cancelJob: JobFields;
}
export interface JobIdVariables {
  id: string;
}

export interface JobStatusChange {
  previousStatus: JobStatus | null;
  status: JobStatus;
  progress: number;
  at: string;
  job: JobFields;
}
export interface JobStatusChangedData {
  jobStatusChanged: JobStatusChange;
}
