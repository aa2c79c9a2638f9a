/**
 * The servers gpuaas is compared with, one per process, started by `PeerProcess` with the kind as
 * the first argument and PORT (and for PostGraphile DATABASE_URL) in the environment:
 *
 * - `node-http`: node:http reading the request body and answering fixed JSON, what any HTTP server
 *   on Node.js costs at least;
 * - `apollo`: Apollo Server's `startStandaloneServer` with a one-field schema, answering
 *   `{ __typename }`: HTTP plus a GraphQL server with nothing to resolve;
 * - `postgraphile`: PostGraphile 4 in library mode on node:http, serving the schema `public` of
 *   the database it is given, with the options PostGraphile's documentation recommends for
 *   production (no query log, no GraphiQL, no schema watching).
 *
 * It prints `ready` once it listens, and on SIGTERM closes and exits, so that `node --cpu-prof`
 * writes its profile.
 */
import http from 'node:http';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';

/** What node:http answers: a GraphQL answer of the size of `{ __typename }`'s. */
const FIXED_ANSWER = Buffer.from('{"data":{"__typename":"Query"}}');

/**
 * Connections of PostGraphile's pool: as many as gpuaas's plain-SQL pool has, the pool its page
 * and submission use.
 */
const POSTGRAPHILE_POOL_SIZE = 10;

type Stop = () => Promise<void>;

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function closer(server: http.Server): Stop {
  return () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function startNodeHttp(port: number): Promise<Stop> {
  const server = http.createServer((req, res) => {
    // The body is read as a GraphQL server would, then thrown away.
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': FIXED_ANSWER.length });
      res.end(FIXED_ANSWER);
    });
  });
  await listen(server, port);
  return closer(server);
}

async function startApollo(port: number): Promise<Stop> {
  const { ApolloServer } = await import('@apollo/server');
  const { startStandaloneServer } = await import('@apollo/server/standalone');
  const server = new ApolloServer({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'world' } },
  });
  await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  return () => server.stop();
}

/**
 * PostGraphile 4 needs a single copy of graphql 15 (a type made by one copy is unknown to
 * another: "Unexpected input type"). gpuaas's graphql 16 holds the top of node_modules, so npm
 * gives PostGraphile's packages copies of their own, and those it hoists (graphql-parse-resolve-info,
 * graphile-build-pg) find graphql 16 or a second graphql 15. In this process only, every
 * `require` of graphql or graphile-build is resolved from the postgraphile package, so all of
 * PostGraphile shares its one copy of each.
 */
function shareOneGraphql(): void {
  const loader = Module as unknown as {
    _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
    _nodeModulePaths: (from: string) => string[];
  };
  const resolve = loader._resolveFilename;
  const home = createRequire(import.meta.url).resolve('postgraphile/package.json');
  // A module inside the postgraphile package, as the parent every such request is resolved from.
  const parent = { id: home, filename: home, paths: loader._nodeModulePaths(path.dirname(home)) };
  loader._resolveFilename = function resolveShared(this: unknown, request: string, from: unknown, ...rest: unknown[]): string {
    return resolve.call(this, request, /^(graphql|graphile-build)(\/|$)/.test(request) ? parent : from, ...rest);
  };
}

async function startPostGraphile(port: number, databaseUrl: string): Promise<Stop> {
  shareOneGraphql();
  const { postgraphile } = (await import('postgraphile')).default;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POSTGRAPHILE_POOL_SIZE });
  const middleware = postgraphile(pool, 'public', {
    graphqlRoute: '/graphql',
    graphiql: false,
    watchPg: false,
    retryOnInitFail: false,
    disableQueryLog: true,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    ignoreRBAC: false,
    legacyRelations: 'omit',
    extendedErrors: ['errcode'],
  });
  // The schema is built from the database before the first request is let in.
  await middleware.getGraphQLSchema();
  const server = http.createServer(middleware);
  await listen(server, port);
  const close = closer(server);
  return async () => {
    await close();
    await middleware.release();
    await pool.end();
  };
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 1) throw new Error('PORT must be set');
  let stop: Stop;
  if (kind === 'node-http') stop = await startNodeHttp(port);
  else if (kind === 'apollo') stop = await startApollo(port);
  else if (kind === 'postgraphile') {
    const url = process.env.DATABASE_URL;
    if (url === undefined) throw new Error('DATABASE_URL must be set');
    stop = await startPostGraphile(port, url);
  } else throw new Error(`unknown server kind ${JSON.stringify(kind)} (node-http, apollo, postgraphile)`);
  process.once('SIGTERM', () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
