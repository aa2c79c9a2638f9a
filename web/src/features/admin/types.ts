/** Result and variable types of the admin feature's operations (see the `.graphql` files beside). */
import type { Role } from '../auth/types';
import type { JobFields, PageInfo } from '../jobs/types';
import type { Quota } from '../quota/types';

export interface JobIdVariables {
  id: string;
}
export interface JobReasonVariables {
  id: string;
  reason?: string | null;
}

export interface ApproveJobData {
  approveJob: JobFields;
}
export interface RejectJobData {
  rejectJob: JobFields;
}
export interface StartJobData {
  startJob: JobFields;
}
export interface CompleteJobData {
  completeJob: JobFields;
}
export interface FailJobData {
  failJob: JobFields;
}

export interface AdminUser {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  quota: Quota;
}
export interface UsersData {
  users: { totalCount: number; pageInfo: PageInfo; edges: { cursor: string; node: AdminUser }[] };
}
export interface UsersVariables {
  first: number;
  after?: string | null;
}

export interface SetUserQuotaData {
  setUserQuota: Quota;
}
export interface SetUserQuotaVariables {
  userId: string;
  limitGpuHours: number;
}
