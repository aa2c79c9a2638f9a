import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import express, { type Request } from 'express';
import type { Config } from './config.js';
import { isReady, migrate, openOrm } from './db/orm.js';
import { bearerToken, createContext, type GraphQLContext } from './graphql/context.js';
import { errorLoggingPlugin, formatError } from './graphql/errors.js';
import { graphiqlAssets, graphiqlPage } from './graphql/graphiql.js';
import { buildGraphQLSchema } from './graphql/schema.js';
import type { Logger } from './logger.js';
import { PasswordHasher } from './modules/auth/password.js';
import { TokenService } from './modules/auth/token.service.js';
import { SettingRepository } from './modules/settings/setting.repository.js';
import { WEB_DIST_DIR } from './paths.js';
import { createServices, type AppDeps } from './services.js';

/** A running gpuaas process. */
export interface App {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  orm: MikroORM;
  deps: AppDeps;
  /** Stops accepting work, drains requests and closes the database pool. */
  close(): Promise<void>;
}

/** Options of `startApp` besides the configuration. */
export interface StartOptions {
  /** The database to use (from config, or the embedded server main.ts started). */
  databaseUrl: string;
  log: Logger;
  /** Host to bind; every interface by default. */
  host?: string;
}


/** The JWT key: configured, or generated once and shared by every process through the database. */
async function resolveJwtSecret(orm: MikroORM, config: Config): Promise<string> {
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  return new SettingRepository(orm.em.fork()).getOrInsert('jwt_secret', randomBytes(48).toString('base64url'));
}

/**
 * Starts the API: connects to PostgreSQL, applies migrations, creates the first admin, and serves
 * `/graphql` (GraphiQL for a browser), `/healthz`, `/readyz` and the web app on one HTTP server.
 */
export async function startApp(config: Config, options: StartOptions): Promise<App> {
  const { log } = options;
  const orm = await openOrm(options.databaseUrl);
  try {
    const applied = await migrate(orm);
    if (applied.length > 0) log.info({ migrations: applied }, 'Migrations applied');

    const deps: AppDeps = {
      config,
      passwords: new PasswordHasher(config.bcryptCost),
      tokens: new TokenService(await resolveJwtSecret(orm, config), config.jwtTtlSeconds),
    };
    await createServices(orm.em.fork(), deps).users.ensureFirstAdmin(log);

    const app = express();
    app.disable('x-powered-by');
    const httpServer = http.createServer(app);

    const apollo = new ApolloServer<GraphQLContext>({
      schema: await buildGraphQLSchema(),
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection: true,
      csrfPrevention: true,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        ApolloServerPluginLandingPageDisabled(),
        errorLoggingPlugin(log),
      ],
    });
    await apollo.start();

    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/readyz', async (_req, res) => {
      const ready = await isReady(orm);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
    });
    app.use(graphiqlAssets());
    app.get('/graphql', (req, res, next) => {
      // A browser asking for a page gets GraphiQL; GraphQL GET requests go on to Apollo.
      if (req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
        res.type('html').send(graphiqlPage());
      } else next();
    });
    app.use(
      '/graphql',
      express.json({ limit: '100kb' }),
      expressMiddleware(apollo, {
        context: async ({ req }: { req: Request }) => {
          const em = orm.em.fork();
          const services = createServices(em, deps);
          const token = bearerToken(req.headers.authorization);
          const viewer = token === null ? null : await services.users.authenticate(token);
          return createContext(randomUUID(), viewer, services);
        },
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
    app.use((_req, res) => {
      res.status(404).json({ error: 'Not found' });
    });

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, options.host ?? '0.0.0.0', () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    log.info({ url, webDist: existsSync(webDist) ? webDist : null }, 'gpuaas API listening');

    return {
      url,
      orm,
      deps,
      async close() {
        await apollo.stop();
        await orm.close();
      },
    };
  } catch (error) {
    await orm.close();
    throw error;
  }
}
