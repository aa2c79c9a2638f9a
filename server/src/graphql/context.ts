import type { ClusterWatcher } from '../events/cluster-watcher.js';
import type { JobChangeHub } from '../events/job-change-hub.js';
import type { QuotaWatcher } from '../events/quota-watcher.js';
import type { AllocationRecord, NodeRecord } from '../modules/cluster/cluster.queries.js';
import type { JobRecord } from '../modules/jobs/job.queries.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { QuotaView } from '../modules/quotas/quota.service.js';
import type { UserRecord } from '../modules/users/user.queries.js';
import type { Services } from '../services.js';
import { BatchLoader } from './batch-loader.js';

/** This process's live feeds, which subscriptions read. */
export interface LiveFeeds {
  /** Job change subscribers. */
  jobChanges: JobChangeHub;
  /** The `clusterChanged` feed. */
  clusterChanges: ClusterWatcher;
  /** The `quotaChanged` feed. */
  quotaChanges: QuotaWatcher;
}

/** What every resolver of one GraphQL operation shares. */
export interface GraphQLContext {
  /** Correlates the operation's log lines. */
  requestId: string;
  /** The request's logger: every line carries the request id and, when known, the user id. */
  log: Logger;
  /** The client's address (the proxy's view when TRUST_PROXY is set), for rate limits. */
  clientAddress: string;
  /** The signed-in user, or null without a valid token. */
  viewer: Viewer | null;
  services: Services;
  /** This process's job change subscribers. */
  jobChanges: JobChangeHub;
  /** This process's `clusterChanged` feed. */
  clusterChanges: ClusterWatcher;
  /** This process's `quotaChanged` feed. */
  quotaChanges: QuotaWatcher;
  /**
   * The HTTP request's log line, when the operation came over HTTP: the operation's name, type,
   * duration and errors go on it rather than on a line of their own.
   */
  requestLog?: { operation?: Record<string, unknown> };
  /** Per-operation batch loaders. */
  loaders: {
    quota: BatchLoader<UserRecord, QuotaView>;
    allocation: BatchLoader<string, AllocationRecord | null>;
    node: BatchLoader<string, NodeRecord>;
    job: BatchLoader<string, JobRecord | null>;
  };
}

/** Fills in null for every key a batch found nothing for. */
function orNull<K, V>(keys: readonly K[], found: Map<K, V>): Map<K, V | null> {
  return new Map(keys.map((k) => [k, found.get(k) ?? null]));
}

/**
 * The context's base: `log` is a getter on the prototype, so the child logger is made only when an
 * operation logs something of its own (most log nothing but their request's line), and Apollo's
 * shallow copy of each operation's context (own properties only) keeps it lazy.
 */
class OperationContext {
  declare viewer: Viewer | null;
  private logger: Logger | undefined;

  constructor(private readonly logSource: Logger | (() => Logger)) {}

  get log(): Logger {
    if (this.logger === undefined) {
      const base = typeof this.logSource === 'function' ? this.logSource() : this.logSource;
      this.logger = this.viewer ? base.child({ userId: this.viewer.id }) : base;
    }
    return this.logger;
  }
}

/** Builds an operation's context from its services and viewer. */
export function createContext(
  requestId: string,
  /** The request's logger, or a function making it (called only if the operation logs). */
  log: Logger | (() => Logger),
  clientAddress: string,
  viewer: Viewer | null,
  services: Services,
  live: LiveFeeds,
  requestLog?: { operation?: Record<string, unknown> },
): GraphQLContext {
  const fields: Omit<GraphQLContext, 'log'> = {
    requestId,
    requestLog,
    clientAddress,
    viewer,
    services,
    jobChanges: live.jobChanges,
    clusterChanges: live.clusterChanges,
    quotaChanges: live.quotaChanges,
    loaders: {
      quota: new BatchLoader(
        (users) => services.quotas.currentMany(users).then((m) => new Map(users.map((u) => [u, m.get(u.id)!]))),
        () => new Error('quota missing from batch'),
      ),
      allocation: new BatchLoader(
        async (ids) => orNull(ids, await services.cluster.allocations(ids)),
        () => new Error('allocation missing from batch'),
      ),
      node: new BatchLoader((ids) => services.cluster.nodesById(ids), () => new Error('GPU node missing from batch')),
      job: new BatchLoader(
        async (ids) => orNull(ids, await services.cluster.holdingJobs(ids)),
        () => new Error('job missing from batch'),
      ),
    },
  };
  return Object.assign(new OperationContext(log), fields);
}

/** Reads the token of an `Authorization: Bearer <jwt>` header value. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
