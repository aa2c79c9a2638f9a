import { typedDocument } from '../../apollo/document';
import cancelJob from './cancel-job.graphql?raw';
import createJob from './create-job.graphql?raw';
import gpuTypes from './gpu-types.graphql?raw';
import jobFields from './job-fields.graphql?raw';
import jobStatusChanged from './job-status-changed.graphql?raw';
import job from './job.graphql?raw';
import jobs from './jobs.graphql?raw';
import type {
  CancelJobData,
  CreateJobData,
  CreateJobVariables,
  GpuTypesData,
  JobData,
  JobFields,
  JobIdVariables,
  JobStatusChangedData,
  JobsData,
  JobsVariables,
  JobVariables,
} from './types';

/** The text of `fragment JobFields`, for operations of other features that spread it. */
export const jobFieldsFragment = jobFields;

export const JobFieldsDocument = typedDocument<JobFields>(jobFields);
export const JobsDocument = typedDocument<JobsData, JobsVariables>(jobs, jobFields);
export const JobDocument = typedDocument<JobData, JobVariables>(job, jobFields);
export const GpuTypesDocument = typedDocument<GpuTypesData>(gpuTypes);
export const CreateJobDocument = typedDocument<CreateJobData, CreateJobVariables>(createJob, jobFields);
export const CancelJobDocument = typedDocument<CancelJobData, JobIdVariables>(cancelJob, jobFields);
export const JobStatusChangedDocument = typedDocument<JobStatusChangedData>(jobStatusChanged, jobFields);
