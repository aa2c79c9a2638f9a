import type { JobChangeHub } from '../events/job-change-hub.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { QuotaView } from '../modules/quotas/quota.service.js';
import type { UserRecord } from '../modules/users/user.queries.js';
import type { Services } from '../services.js';
import { BatchLoader } from './batch-loader.js';

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
  /** Per-operation batch loaders. */
  loaders: { quota: BatchLoader<UserRecord, QuotaView> };
}

/** Builds an operation's context from its services and viewer. */
export function createContext(
  requestId: string,
  log: Logger,
  clientAddress: string,
  viewer: Viewer | null,
  services: Services,
  jobChanges: JobChangeHub,
): GraphQLContext {
  return {
    requestId,
    log: viewer ? log.child({ userId: viewer.id }) : log,
    clientAddress,
    viewer,
    services,
    jobChanges,
    loaders: {
      quota: new BatchLoader(
        (users) => services.quotas.currentMany(users).then((m) => new Map(users.map((u) => [u, m.get(u.id)!]))),
        () => new Error('quota missing from batch'),
      ),
    },
  };
}

/** Reads the token of an `Authorization: Bearer <jwt>` header value. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
