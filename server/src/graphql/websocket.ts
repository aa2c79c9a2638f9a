import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { AppError, ErrorCode } from '../errors/app-error.js';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../logger.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { createServices, type AppDeps } from '../services.js';
import { bearerToken, createContext, type GraphQLContext, type LiveFeeds } from './context.js';
import { formatError, logUnexpected } from './errors.js';
import type { Checked } from './query-limits.js';
import { SharedSubscriptions } from './shared-subscriptions.js';
import { WebSocketCloseCode } from './close-codes.js';
import { Role } from '../modules/users/user.entity.js';

/** Largest WebSocket message accepted, in bytes. */
export const MAX_WS_MESSAGE_BYTES = 64 * 1024;
/** A socket that sends no ConnectionInit within this time is closed (4408). */
export const CONNECTION_INIT_TIMEOUT_MS = 3000;

type SocketExtra = {
  socket: WebSocket;
  request: http.IncomingMessage;
  viewer?: Viewer;
  /** Ids of this connection's active subscriptions. */
  operations?: Set<string>;
};

/**
 * graphql-transport-ws on `/graphql`. A connection must carry a valid token in its
 * connectionParams (else 4403); each user may hold a bounded number of connections (beyond it,
 * 4129) and each connection a bounded number of subscriptions; every operation passes the same
 * query limits as over HTTP. When a user's tokens are revoked, their open sockets are closed
 * (4403). Every close code is listed in `close-codes.ts`.
 */
export class GraphQLWebSocketServer {
  private readonly byUser = new Map<string, Set<SocketExtra>>();
  private readonly server: ReturnType<typeof useServer>;
  private readonly wss: WebSocketServer;
  private readonly rechecks: NodeJS.Timeout;

  constructor(
    httpServer: http.Server,
    schema: GraphQLSchema,
    /** Parses and validates a document with the query limits (`documentChecker`), shared with HTTP's fast path. */
    check: (query: string) => Checked,
    private readonly parts: { orm: MikroORM; deps: AppDeps; live: LiveFeeds; log: Logger },
  ) {
    const { orm, deps, live, log } = parts;
    const limits = deps.config.limits;
    this.wss = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: MAX_WS_MESSAGE_BYTES });
    const shared = new SharedSubscriptions();
    this.server = useServer<Record<string, unknown>, SocketExtra>(
      {
        schema,
        subscribe: shared.subscribe,
        connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
        onConnect: async (ctx) => {
          const token = bearerToken(String(ctx.connectionParams?.authorization ?? ''));
          const viewer = token === null ? null : await createServices(orm.em.fork(), deps).users.authenticate(token);
          if (!viewer) return false;
          const sockets = this.byUser.get(viewer.id) ?? new Set();
          if (sockets.size >= limits.socketsPerUser) {
            ctx.extra.socket.close(WebSocketCloseCode.TooManyConnections, 'Too many connections for this user');
            return false;
          }
          ctx.extra.viewer = viewer;
          ctx.extra.operations = new Set();
          sockets.add(ctx.extra);
          this.byUser.set(viewer.id, sockets);
          return true;
        },
        onClose: (ctx) => this.forget(ctx.extra),
        onSubscribe: (ctx, id, payload) => {
          const operations = ctx.extra.operations!;
          if (operations.size >= limits.subscriptionsPerSocket) {
            const error = new AppError(
              ErrorCode.RATE_LIMITED,
              `At most ${limits.subscriptionsPerSocket} subscriptions per connection`,
            );
            return [new GraphQLError(error.message, { originalError: error })];
          }
          const checked = check(payload.query);
          if ('errors' in checked) return checked.errors;
          operations.add(id);
          const requestId = randomUUID();
          const viewer = ctx.extra.viewer ?? null;
          const address = ctx.extra.request.socket.remoteAddress ?? 'unknown';
          const contextValue = createContext(
            requestId,
            log.child({ requestId }),
            address,
            viewer,
            createServices(orm.em.fork(), deps),
            live,
          );
          // Admins see alike; a user's answer is computed for that user alone.
          const asking = viewer === null ? 'anonymous' : viewer.role === Role.ADMIN ? 'admin' : `user:${viewer.id}`;
          shared.share(contextValue, JSON.stringify([asking, payload.operationName ?? null, payload.variables ?? null, payload.query]));
          return {
            schema,
            document: checked.document,
            variableValues: payload.variables,
            operationName: payload.operationName,
            contextValue,
          };
        },
        onComplete: (ctx, id) => {
          ctx.extra.operations?.delete(id);
        },
        onNext: (_ctx, _id, payload, args, result) =>
          formatResult(result as ExecutionResult, (args.contextValue as GraphQLContext).log, payload.operationName),
        onError: (ctx, _id, payload, errors) => {
          logUnexpected(errors, log.child({ userId: ctx.extra.viewer?.id }), payload.operationName);
          return errors.map((e) => formatError(e.toJSON(), e)) as never;
        },
      },
      this.wss,
    );
    this.rechecks = setInterval(() => {
      this.recheck().catch((error: unknown) => log.warn({ err: error }, 'Checking open sockets\' tokens failed'));
    }, limits.socketRecheckMs);
    this.rechecks.unref();
  }

  /**
   * Closes every open socket whose token is older than its user's current version, whose user is
   * gone, or whose API token was revoked or has expired. Revocations are normally announced to every process at once (`revoke`); this
   * periodic check covers an announcement that was lost (say, the process that made the change
   * crashed between its commit and its NOTIFY).
   */
  recheck(): Promise<number> {
    return this.closeStale([...this.byUser.keys()]);
  }

  /** Closes the sockets of `userIds` whose tokens are no longer current, with one query (two with API tokens). */
  private async closeStale(userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    const { orm, deps } = this.parts;
    const services = createServices(orm.em.fork(), deps);
    const apiTokenIds: string[] = [];
    for (const userId of userIds) {
      for (const extra of this.byUser.get(userId) ?? []) if (extra.viewer!.apiTokenId !== undefined) apiTokenIds.push(extra.viewer!.apiTokenId);
    }
    const [current, liveApiTokens] = await Promise.all([
      services.users.tokenVersions(userIds),
      apiTokenIds.length === 0 ? new Set<string>() : services.apiTokens.live(apiTokenIds),
    ]);
    let closed = 0;
    for (const userId of userIds) {
      for (const extra of this.byUser.get(userId) ?? []) {
        const { tokenVersion, apiTokenId } = extra.viewer!;
        // A socket opened with an API token also closes when that token is revoked or expires.
        if (current.get(userId) !== tokenVersion || (apiTokenId !== undefined && !liveApiTokens.has(apiTokenId))) {
          extra.socket.close(WebSocketCloseCode.Forbidden, 'Token revoked');
          closed += 1;
        }
      }
    }
    return closed;
  }

  private forget(extra: SocketExtra): void {
    if (!extra.viewer) return;
    const sockets = this.byUser.get(extra.viewer.id);
    sockets?.delete(extra);
    if (sockets?.size === 0) this.byUser.delete(extra.viewer.id);
  }

  /** Open authenticated connections (for metrics and tests). */
  get connections(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /**
   * Closes the sockets of `userId` opened with a token older than the user's current version, or
   * with an API token since revoked (the revocation was announced by whichever process made it).
   */
  async revoke(userId: string): Promise<void> {
    if (this.byUser.has(userId)) await this.closeStale([userId]);
  }

  /** Closes every socket with 1001 (going away, sent by graphql-ws) and stops accepting new ones. */
  async dispose(): Promise<void> {
    clearInterval(this.rechecks);
    await this.server.dispose();
  }
}

/**
 * Applies `formatError` to a subscription's results, so WebSocket clients get the same error
 * codes and the same masking of unexpected errors as HTTP clients.
 */
function formatResult(result: ExecutionResult, log: Logger, operationName: string | null | undefined): ExecutionResult {
  if (!result.errors?.length) return result;
  logUnexpected(result.errors, log, operationName);
  return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) as never };
}
