import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import express, { type Request } from 'express';
import type { Config, ProcessRole } from './config.js';
import { joinClusterMetrics } from './cluster.js';
import { isReady, migrate, openOrm } from './db/orm.js';
import { Sql } from './db/sql.js';
import { bearerToken, createContext, type GraphQLContext, type LiveFeeds } from './graphql/context.js';
import { formatError, operationPlugin } from './graphql/errors.js';
import { jitGateway } from './graphql/jit-executor.js';
import { documentChecker, QUERY_LIMITS, queryArmor } from './graphql/query-limits.js';
import { GraphQLWebSocketServer } from './graphql/websocket.js';
import { cors, securityHeaders } from './http/security.js';
import { graphqlPost } from './http/graphql-post.js';
import { GraphQLFastPath } from './http/graphql-fast-path.js';
import { usageCsv } from './http/usage-csv.js';
import { Metrics } from './observability/metrics.js';
import { requestLogging, type RequestLocals } from './observability/request-log.js';
import { graphiqlAssets, graphiqlPage } from './graphql/graphiql.js';
import { buildGraphQLSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { PasswordHasher } from './modules/auth/password.js';
import { TokenService } from './modules/auth/token.service.js';
import { Setting } from './modules/settings/setting.entity.js';
import { WEB_DIST_DIR } from './paths.js';
import { createServices, type AppDeps } from './services.js';
import { authenticate } from './modules/users/user.service.js';
import { JobCountCache } from './modules/jobs/job-count-cache.js';
import { CommitNotifier } from './events/commit-notifier.js';
import { JobChangeHub } from './events/job-change-hub.js';
import { JobEventRelay } from './events/job-event-relay.js';
import { QuotaWatcher } from './events/quota-watcher.js';
import { currentQuotas } from './modules/quotas/quota.queries.js';
import { monthOf } from './modules/quotas/quota-math.js';
import { ClusterWatcher } from './events/cluster-watcher.js';
import { PlanCache } from './modules/scheduler/plan-cache.js';
import { readPlanBasis } from './modules/scheduler/scheduler.queries.js';
import { SCHEDULER_SETTINGS_KEY, seedSettings } from './modules/scheduler/scheduler-settings.js';
import { Scheduler } from './worker/scheduler.js';
import { ViewerCache } from './modules/auth/viewer-cache.js';
import { ApiTokenUsage } from './modules/api-tokens/api-token-usage.js';
import { countLiveApiTokens, touchApiToken } from './modules/api-tokens/api-token.queries.js';
import { pools } from './modules/cluster/cluster.queries.js';
import { GpuCatalogue } from './modules/cluster/gpu-catalogue.js';
import { notify } from './events/job-event.queries.js';
import { SimulationWorker } from './worker/simulation-worker.js';
import { NotificationWorker } from './worker/notification-worker.js';
import { NotificationFeed } from './events/notification-feed.js';
import { NotificationWriter } from './modules/notifications/notification-writer.js';
import { outboxStats } from './modules/notifications/outbox.queries.js';

/**
 * Connections of the plain-SQL pool (`db/sql.ts`), beside MikroORM's 10: a process opens at most
 * 20 to PostgreSQL.
 */
const SQL_POOL_SIZE = 10;

/** A running gpuaas process. */
export interface App {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  orm: MikroORM;
  deps: AppDeps;
  /** This process's subscribers (API roles). */
  jobChanges: JobChangeHub;
  /** This process's `clusterChanged` feed (API roles). */
  clusterChanges: ClusterWatcher;
  /** This process's `quotaChanged` feed (API roles). */
  quotaChanges: QuotaWatcher;
  /** The event relay (API roles). */
  relay: JobEventRelay | undefined;
  /** The simulator (worker roles). */
  worker: SimulationWorker | undefined;
  /** The AUTO scheduler (worker roles); it acts only while it holds the lease. */
  scheduler: Scheduler | undefined;
  /** The notification producer and sender (worker roles). */
  notificationWorker: NotificationWorker | undefined;
  /** This process's `notificationReceived` feed (API roles). */
  notifications: NotificationFeed;
  metrics: Metrics;
  /**
   * Stops cleanly: the worker stops claiming, finishes its step and releases its leases; sockets
   * are closed with the protocol's "going away" code; requests drain; the pool closes.
   */
  close(): Promise<void>;
}

/** Options of `startApp` besides the configuration. */
export interface StartOptions {
  /** The database to use (from config, or the embedded server main.ts started). */
  databaseUrl: string;
  log: Logger;
  /** API, worker or both (the default). */
  role?: ProcessRole;
  /** Host to bind; every interface by default. */
  host?: string;
  /** One of several API processes started by `cluster.ts`: `/metrics` answers for them all. */
  clusterMember?: boolean;
}

/** The JWT key: configured, or generated once and shared by every process through the database. */
async function resolveJwtSecret(orm: MikroORM, config: Config): Promise<string> {
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  return orm.em.fork().getRepository(Setting).getOrInsert('jwt_secret', randomBytes(48).toString('base64url'));
}

/**
 * Answers requests that fail before GraphQL sees them (a body that is not JSON, or too large)
 * in GraphQL's error shape, with the parser's status and never a stack trace.
 */
function requestErrorHandler(log: Logger): express.ErrorRequestHandler {
  return (error: { status?: number; type?: string }, _req, res, _next) => {
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    const message =
      error.type === 'entity.too.large'
        ? 'The request body is too large'
        : error.type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : status < 500
            ? 'The request could not be read'
            : 'Internal server error';
    if (status >= 500) log.error({ err: error }, 'Unexpected error outside GraphQL');
    res.status(status).json({ errors: [{ message, extensions: { code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } }] });
  };
}

/**
 * Starts a gpuaas process: connects to PostgreSQL and applies migrations, then, by role, serves
 * the API (`/graphql` over HTTP and WebSocket, GraphiQL for a browser, the web app) and runs the
 * simulator. Every role serves `/healthz` and `/readyz`.
 */
export async function startApp(config: Config, options: StartOptions): Promise<App> {
  const { log } = options;
  const role = options.role ?? 'all';
  const serveApi = role !== 'worker';
  const orm = await openOrm(options.databaseUrl, (message) => log.debug({}, message));
  const cleanups: (() => Promise<void>)[] = [];
  const sql = Sql.open(options.databaseUrl, SQL_POOL_SIZE, (error) => log.warn({ err: error }, 'A database connection failed while idle'));
  try {
    const applied = await migrate(orm);
    if (applied.length > 0) log.info({ migrations: applied }, 'Migrations applied');

    const deps: AppDeps = {
      config,
      passwords: new PasswordHasher(config.bcryptCost),
      tokens: new TokenService(await resolveJwtSecret(orm, config), config.jwtTtlSeconds, config.jwtPreviousSecret),
      events: new CommitNotifier((channel, payload) => notify(sql, channel, payload), log, config.eventsEnabled),
      jobCounts: new JobCountCache(),
      catalogue: new GpuCatalogue(sql),
      sql,
      viewers: new ViewerCache(config.authCacheMs),
      notifications: new NotificationWriter(config.notifications),
      apiTokenUsage: new ApiTokenUsage(
        (tokenId) => touchApiToken(sql, tokenId),
        (error) => log.warn({ err: error }, "Could not record an API token's last use"),
      ),
      plans: new PlanCache(() => readPlanBasis(sql, config), log, config.scheduler.planMaxAgeMs, (seconds) =>
        metrics.observePlan(seconds),
      ),
    };
    cleanups.push(() => deps.plans.stop());
    (deps.events as CommitNotifier).onLocalChange(() => deps.plans.invalidate());
    (deps.events as CommitNotifier).onLocalRevocation((userId) => deps.viewers.forget(userId));
    // A new installation's scheduler settings come from SCHEDULER_MODE and friends; later, admins change them.
    await orm.em.fork().getRepository(Setting).getOrInsert(SCHEDULER_SETTINGS_KEY, JSON.stringify(seedSettings(config.scheduler)));
    const jobChanges = new JobChangeHub();
    const clusterChanges = new ClusterWatcher(() => pools(sql), log);
    const notifications = new NotificationFeed(sql, log, config.eventPollMs);
    const quotaChanges = new QuotaWatcher((ids) => currentQuotas(sql, ids, monthOf(new Date()), config.defaultMonthlyGpuHours), log);
    const live: LiveFeeds = { jobChanges, clusterChanges, quotaChanges, notifications };
    let relay: JobEventRelay | undefined;
    const notifier = deps.events as CommitNotifier;
    const seeded = await createServices(orm.em.fork(), deps).cluster.seed(config.inventory);
    if (seeded.nodes > 0) log.info({ nodes: seeded.nodes }, 'GPU inventory created from GPU_INVENTORY');
    if (seeded.placed > 0) log.info({ jobs: seeded.placed }, 'Running jobs placed on the GPU inventory');

    const metrics = new Metrics({
      orm,
      pools: () => pools(sql),
      subscribers: () => jobChanges.size,
      eventsRelayed: () => relay?.relayed ?? 0,
      wakeupsSent: () => notifier.sent,
      outbox: () => outboxStats(sql),
      apiTokens: () => countLiveApiTokens(sql),
      apiTokenRequests: () => deps.apiTokenUsage.requests,
    });

    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', config.trustProxy);
    app.use(requestLogging(log));
    app.use(securityHeaders());
    app.use(cors(config.corsOrigins));
    // POST /graphql, the hot path, skips Express (see http/graphql-post.ts); all else goes through it.
    let graphqlPostHandler: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
    const httpServer = http.createServer((req, res) => {
      if (graphqlPostHandler !== undefined && req.method === 'POST' && isGraphQLPath(req.url)) graphqlPostHandler(req, res);
      else app(req, res);
    });
    const readMetrics = options.clusterMember ? joinClusterMetrics(metrics.registry) : () => metrics.registry.metrics();
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await readMetrics());
    });
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/readyz', async (_req, res) => {
      const ready = await isReady(orm);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
    });

    if (serveApi) {
      await createServices(orm.em.fork(), deps).users.ensureFirstAdmin(log);
      let revoked: (userId: string) => void = () => {};
      relay = new JobEventRelay(sql, options.databaseUrl, jobChanges, log, config.eventPollMs, {
        onRevoked: (userId) => {
          deps.viewers.forget(userId);
          revoked(userId);
        },
        onListening: () => deps.viewers.clear(),
        onInventoryChange: () => {
          deps.catalogue.invalidate();
          deps.plans.invalidate();
          clusterChanges.wake();
        },
        onTransitions: () => {
          deps.plans.invalidate();
          clusterChanges.wake();
        },
        onSchedulerChange: () => deps.plans.invalidate(),
        onNotifications: () => notifications.wake(),
        onQuotaTouched: (userIds) => quotaChanges.touched(userIds),
      });
      if (config.eventsEnabled) {
        await notifications.start();
        await relay.start();
      }
      cleanups.push(() => notifications.stop());
      cleanups.push(() => relay!.stop());
      cleanups.push(() => clusterChanges.stop());
      cleanups.push(() => quotaChanges.stop());
      await mountApi(app, httpServer, {
        orm, deps, live, log, config, cleanups, metrics,
        onRevoked: (handler) => (revoked = handler),
        onGraphQLPost: (handler) => (graphqlPostHandler = handler),
      });
    }
    app.use((_req, res) => {
      res.status(404).json({ error: 'Not found' });
    });
    app.use(requestErrorHandler(log));

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, options.host ?? '0.0.0.0', () => resolve());
    });
    cleanups.push(
      () => new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      }),
    );
    const { port } = httpServer.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;

    let worker: SimulationWorker | undefined;
    let scheduler: Scheduler | undefined;
    let notificationWorker: NotificationWorker | undefined;
    if (role !== 'api') {
      notificationWorker = new NotificationWorker(orm, deps, log, {
        delivered: (channel, outcome, count) => metrics.countDelivery(channel, outcome, count),
        pruned: (table, count) => metrics.countPruned(table, count),
      });
      notificationWorker.start();
      worker = new SimulationWorker(orm, deps, log, (lagMs) => metrics.observeTickLag(lagMs / 1000));
      worker.start();
      scheduler = new Scheduler(orm, deps, options.databaseUrl, log, {
        planned: (seconds) => metrics.observePlan(seconds),
        started: (gpuType, kind) => metrics.countSchedulerStart(gpuType, kind),
        leading: (leader) => metrics.setSchedulerLeader(leader),
      }, (listener) => (deps.events as CommitNotifier).onLocalChange(listener));
      await scheduler.start();
    }
    log.info({ url, role }, 'gpuaas started');

    return {
      url,
      orm,
      deps,
      jobChanges,
      clusterChanges,
      quotaChanges,
      relay,
      worker,
      scheduler,
      notificationWorker,
      notifications,
      metrics,
      async close() {
        await scheduler?.stop();
        await notificationWorker?.stop();
        await worker?.stop();
        // In order: stop relaying, drain Apollo (closing sockets with 1001), close the listener.
        for (const cleanup of cleanups) await cleanup();
        await notifier.stop();
        await sql.close();
        await orm.close();
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await sql.close();
    await orm.close();
    throw error;
  }
}

interface ApiParts {
  orm: MikroORM;
  deps: AppDeps;
  live: LiveFeeds;
  log: Logger;
  config: Config;
  cleanups: (() => Promise<void>)[];
  metrics: Metrics;
  /** Registers the handler of token revocations announced by any process. */
  onRevoked: (handler: (userId: string) => void) => void;
  /** Registers the handler of `POST /graphql`, served without Express. */
  onGraphQLPost: (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => void;
}

/** Whether a request's URL is `/graphql` (with or without a trailing slash or query string). */
function isGraphQLPath(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith('/graphql')) return false;
  const rest = url.slice(8);
  return rest === '' || rest === '/' || rest.startsWith('?') || rest.startsWith('/?');
}

/** Mounts GraphQL (HTTP and WebSocket), GraphiQL and the web app. */
async function mountApi(app: express.Express, httpServer: http.Server, parts: ApiParts): Promise<void> {
  const { orm, deps, live, log, config, cleanups, metrics } = parts;
  const schema = await buildGraphQLSchema();

  const armor = queryArmor(config.introspection);
  const protection = armor.protect();
  // One cache of validated documents for both paths that run operations without Apollo.
  const check = documentChecker(schema, armor, config.introspection);
  const sockets = new GraphQLWebSocketServer(httpServer, schema, check, { orm, deps, live, log });
  parts.onRevoked((userId) => {
    sockets.revoke(userId).catch((error: unknown) => log.error({ err: error, userId }, 'Closing revoked sockets failed'));
  });

  const fastPath = config.graphqlFastPath
    ? new GraphQLFastPath({ schema, check, jit: config.graphqlJit, metrics })
    : undefined;
  const apollo = new ApolloServer<GraphQLContext>({
    // Compiled execution (graphql-jit) through Apollo's gateway interface, or graphql-js's own.
    ...(config.graphqlJit ? { gateway: jitGateway(schema) } : { schema }),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: !config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Compact JSON: Apollo pretty-prints by default, which costs CPU and bytes on every response.
    stringifyResult: (value) => JSON.stringify(value),
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: protection.validationRules,
    plugins: [
      // graphql-armor's types come from Apollo's CommonJS build; the plugins are the same objects.
      ...(protection.plugins as unknown as ApolloServerPlugin<GraphQLContext>[]),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              fastPath?.close();
              live.jobChanges.closeAll();
              live.notifications.closeAll();
              await sockets.dispose();
            },
          };
        },
      },
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL responses here; the plugin would hook every field.
      ApolloServerPluginCacheControlDisabled(),
      operationPlugin(metrics),
    ],
  });
  await apollo.start();
  cleanups.push(() => apollo.stop());

  const contextOf = async (authorization: string | undefined, locals: RequestLocals, clientAddress: string): Promise<GraphQLContext> => {
    const services = createServices(() => orm.em.fork(), deps);
    const token = bearerToken(authorization);
    const viewer = token === null ? null : await authenticate(token, deps.tokens, deps.sql, deps.viewers, deps.apiTokenUsage);
    if (viewer) locals.userId = viewer.id;
    return createContext(locals.requestId, () => locals.log, clientAddress, viewer, services, live, locals);
  };
  parts.onGraphQLPost(
    graphqlPost({
      apollo,
      log,
      corsOrigins: config.corsOrigins,
      trustProxy: config.trustProxy,
      context: (req, locals, clientAddress) => contextOf(req.headers.authorization, locals, clientAddress),
      fastPath,
      count: (path) => metrics.countGraphQLRequest(path),
    }),
  );

  // The usage export: a download for admins, authenticated like GraphQL by a bearer token.
  const csv = usageCsv({
    viewerOf: async (authorization) => {
      const token = bearerToken(authorization);
      return token === null ? null : authenticate(token, deps.tokens, deps.sql, deps.viewers);
    },
    services: () => createServices(() => orm.em.fork(), deps),
    metrics,
    log,
  });
  app.get('/api/usage.csv', (req, res) => csv(req, res));

  if (config.introspection) app.use(graphiqlAssets());
  app.get('/graphql', (req, res, next) => {
    // A browser asking for a page gets GraphiQL; GraphQL GET requests go on to Apollo.
    const wantsPage = req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
    if (config.introspection && wantsPage) {
      res.type('html').send(graphiqlPage());
    } else next();
  });
  app.use(
    '/graphql',
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, {
      context: ({ req, res }: { req: Request; res: express.Response }) =>
        contextOf(req.headers.authorization, (res as express.Response<unknown, RequestLocals>).locals, req.ip ?? 'unknown'),
    }),
  );

  const webDist = config.webDist ?? WEB_DIST_DIR;
  if (existsSync(path.join(webDist, 'index.html'))) {
    app.use(express.static(webDist, { index: false, maxAge: '1h' }));
    // History-mode routes of the SPA: any other GET for a page gets index.html.
    app.get(/^\/(?!graphql|healthz|readyz|graphiql\/).*/, (req, res, next) => {
      if (!req.accepts('html')) return next();
      res.sendFile(path.join(webDist, 'index.html'));
    });
  }
}
