import { typedDocument } from '../../apollo/document';
import { jobFieldsFragment } from '../jobs/operations';
import approveJob from './approve-job.graphql?raw';
import completeJob from './complete-job.graphql?raw';
import failJob from './fail-job.graphql?raw';
import rejectJob from './reject-job.graphql?raw';
import setUserQuota from './set-user-quota.graphql?raw';
import startJob from './start-job.graphql?raw';
import users from './users.graphql?raw';
import type {
  ApproveJobData,
  CompleteJobData,
  FailJobData,
  JobIdVariables,
  JobReasonVariables,
  RejectJobData,
  SetUserQuotaData,
  SetUserQuotaVariables,
  StartJobData,
  UsersData,
  UsersVariables,
} from './types';

export const ApproveJobDocument = typedDocument<ApproveJobData, JobIdVariables>(approveJob, jobFieldsFragment);
export const RejectJobDocument = typedDocument<RejectJobData, JobReasonVariables>(rejectJob, jobFieldsFragment);
export const StartJobDocument = typedDocument<StartJobData, JobIdVariables>(startJob, jobFieldsFragment);
export const CompleteJobDocument = typedDocument<CompleteJobData, JobIdVariables>(completeJob, jobFieldsFragment);
export const FailJobDocument = typedDocument<FailJobData, JobReasonVariables>(failJob, jobFieldsFragment);
export const UsersDocument = typedDocument<UsersData, UsersVariables>(users);
export const SetUserQuotaDocument = typedDocument<SetUserQuotaData, SetUserQuotaVariables>(setUserQuota);

/** Users per page: the users table and the all-jobs owner filter share this first page. */
export const USERS_PAGE = 100;
