import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Sql } from './db/sql.js';
import type { PasswordHasher } from './modules/auth/password.js';
import type { TokenService } from './modules/auth/token.service.js';
import type { ViewerCache } from './modules/auth/viewer-cache.js';
import type { ApiTokenUsage } from './modules/api-tokens/api-token-usage.js';
import { ApiTokenService } from './modules/api-tokens/api-token.service.js';
import type { JobCountCache } from './modules/jobs/job-count-cache.js';
import { JobService, type CommitListener } from './modules/jobs/job.service.js';
import { ClusterService, type ClusterListener } from './modules/cluster/cluster.service.js';
import type { GpuCatalogue } from './modules/cluster/gpu-catalogue.js';
import { QuotaService, type QuotaListener } from './modules/quotas/quota.service.js';
import { UserService, type RevocationListener } from './modules/users/user.service.js';
import type { PlanCache } from './modules/scheduler/plan-cache.js';
import { NotificationService } from './modules/notifications/notification.service.js';
import type { NotificationAnnouncer, NotificationWriter } from './modules/notifications/notification-writer.js';
import { seedSettings } from './modules/scheduler/scheduler-settings.js';
import { SchedulerService, type SchedulerListener } from './modules/scheduler/scheduler.service.js';
import { UsageService } from './modules/usage/usage.service.js';

/** What lives for the whole process and is shared by every unit of work. */
export interface AppDeps {
  config: Config;
  passwords: PasswordHasher;
  tokens: TokenService;
  /** Announces committed job events, token revocations and inventory changes (see `events/`). */
  events: CommitListener & RevocationListener & ClusterListener & SchedulerListener & QuotaListener & NotificationAnnouncer;
  /** Writes notifications and their outbox rows inside a transaction (a node going DOWN). */
  notifications: NotificationWriter;
  /** The GPU types and their largest nodes, which every submission checks. */
  catalogue: GpuCatalogue;
  /** Counts of large job lists, shared by the process's requests. */
  jobCounts: JobCountCache;
  /** Plain SQL for the statements every request runs (see `db/sql.ts`). */
  sql: Sql;
  /** The users tokens name, for a few seconds (see `modules/auth/viewer-cache.ts`). */
  viewers: ViewerCache;
  /** The process's queue plan, shared by every reader of estimates and queues. */
  plans: PlanCache;
  /** API token use, written at most once a minute per token (see `ApiTokenUsage`). */
  apiTokenUsage: ApiTokenUsage;
}

/** The services of one unit of work (a request, an event, a worker step), bound to its EntityManager fork. */
export interface Services {
  users: UserService;
  quotas: QuotaService;
  jobs: JobService;
  cluster: ClusterService;
  scheduler: SchedulerService;
  notifications: NotificationService;
  usage: UsageService;
  apiTokens: ApiTokenService;
}

/**
 * Builds the services for one unit of work on `em`, a fork of the process's EntityManager, or a
 * function making that fork. Each service is made on first use and the fork with the first that
 * needs it: an operation that reads only the process's caches (a token check, `gpuTypes`) costs
 * no fork.
 */
export function createServices(em: EntityManager | (() => EntityManager), deps: AppDeps): Services {
  let fork: EntityManager | undefined;
  const unitOfWork = () => (fork ??= typeof em === 'function' ? em() : em);
  let users: UserService | undefined;
  let quotas: QuotaService | undefined;
  let jobs: JobService | undefined;
  let cluster: ClusterService | undefined;
  let scheduler: SchedulerService | undefined;
  let notifications: NotificationService | undefined;
  let usage: UsageService | undefined;
  let apiTokens: ApiTokenService | undefined;
  return {
    get users() {
      return (users ??= new UserService(unitOfWork(), deps.config, deps.passwords, deps.tokens, deps.events, deps.sql, deps.viewers, deps.apiTokenUsage));
    },
    get quotas() {
      return (quotas ??= new QuotaService(unitOfWork, deps.config, deps.events));
    },
    get jobs() {
      return (jobs ??= new JobService(unitOfWork, deps.config, this.quotas, deps.events, deps.sql, deps.catalogue, deps.jobCounts));
    },
    get cluster() {
      return (cluster ??= new ClusterService(unitOfWork(), deps.sql, this.jobs, deps.catalogue, deps.events, deps.notifications));
    },
    get scheduler() {
      return (scheduler ??= new SchedulerService(unitOfWork(), deps.sql, deps.plans, seedSettings(deps.config.scheduler), deps.events));
    },
    get notifications() {
      return (notifications ??= new NotificationService(unitOfWork, deps.config.notifications));
    },
    get usage() {
      return (usage ??= new UsageService(deps.sql, deps.config, deps.catalogue));
    },
    get apiTokens() {
      return (apiTokens ??= new ApiTokenService(unitOfWork(), deps.sql, deps.events));
    },
  };
}
