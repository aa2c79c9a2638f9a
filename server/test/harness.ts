/**
 * The integration-test harness: a real gpuaas API on port 0 against a fresh PostgreSQL
 * database of its own, driven over HTTP like any client would.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { startApp, type App } from '../src/app.js';
import { loadConfig, type Config, type ProcessRole } from '../src/config.js';
import { ensureDatabase } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/logger.js';
import { signIn, signUp, waitUntil } from './factories.js';

/** A GraphQL response as the client sees it. */
export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }[];
}

/** A signed-in test user. */
export interface TestUser {
  id: string;
  email: string;
  token: string;
}

export const ADMIN_EMAIL = 'admin@gpuaas.test';
export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const TEST_PASSWORD = 'a-long-enough-password';

/** The configuration every test process starts with: any port, cheap hashing, a known admin, no files. */
export const TEST_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  BCRYPT_COST: '10',
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  DATA_DIR: '/nonexistent',
  WEB_DIST: '/nonexistent',
};

/** Where a test server writes its JSON log lines, one line a write. */
export interface LogDestination {
  write(line: string): void;
}

/** One GraphQL operation over HTTP POST to any gpuaas process at `baseUrl`. */
export async function gqlAt<T = Record<string, any>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GqlResponse<T>, 'status'>;
  return { status: res.status, ...body };
}

/** A URL naming another database on the same server as `url`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export class TestServer {
  private admin: TestUser | undefined;

  private constructor(
    readonly app: App,
    readonly config: Config,
    readonly databaseUrl: string,
    /** Direct SQL access to the test's database, for assertions on what was written. */
    readonly db: pg.Pool,
    private readonly serverUrl: string,
    private readonly database: string,
  ) {}

  /**
   * Starts a server on a fresh database. `env` overrides configuration variables, as the
   * process environment would. The role is `api` (no simulator) unless asked otherwise, so
   * tests drive the lifecycle alone. The log is silent unless `logTo` is given, which gets
   * every line at the configured LOG_LEVEL, as main.ts writes them. `database` names an existing
   * database of the test server to start on instead (see `restart`).
   */
  static async start(
    env: Record<string, string> = {},
    { role = 'api', logTo, database: existing }: { role?: ProcessRole; logTo?: LogDestination; database?: string } = {},
  ): Promise<TestServer> {
    const serverUrl = inject('databaseUrl');
    const database = existing ?? `gpuaas_test_${randomBytes(6).toString('hex')}`;
    if (existing === undefined) await ensureDatabase(withDatabase(serverUrl, 'postgres'), database);
    const databaseUrl = withDatabase(serverUrl, database);
    const config = loadConfig({
      ...TEST_ENV,
      // Tests register many users from one address; the attack tests set real limits.
      AUTH_RATE_LIMIT_PER_ADDRESS: '100000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
      ...env,
    });
    const log = logTo ? createLogger(config.logLevel, logTo) : createLogger('silent');
    const app = await startApp(config, { databaseUrl, log, host: '127.0.0.1', role });
    const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
    return new TestServer(app, config, databaseUrl, db, serverUrl, database);
  }

  /** Starts a server as `start` does, and signs its admin in. */
  static async startWithAdmin(...args: Parameters<typeof TestServer.start>): Promise<{ server: TestServer; admin: TestUser }> {
    const server = await TestServer.start(...args);
    return { server, admin: await server.loginAdmin() };
  }

  get url(): string {
    return this.app.url;
  }

  /** Starts a second API process in this process, on the same database and configuration (a replica). */
  startReplica(): Promise<App> {
    return startApp(this.config, { databaseUrl: this.databaseUrl, log: createLogger('silent'), host: '127.0.0.1', role: 'api' });
  }

  /**
   * A replica (`startReplica`) for the tests of the calling `describe`: started before them and
   * closed after. `server` is read when they start, as the server itself starts in an outer
   * `beforeAll`.
   */
  static useReplica(server: () => TestServer): { readonly url: string } {
    let replica: App | undefined;
    beforeAll(async () => {
      replica = await server().startReplica();
    });
    afterAll(async () => {
      await replica?.close();
    });
    return {
      get url() {
        if (replica === undefined) throw new Error('the replica is started before the tests of its describe');
        return replica.url;
      },
    };
  }

  /** Sends one GraphQL operation over HTTP POST. */
  gql<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    return gqlAt<T>(this.url, query, variables, token, headers);
  }

  /**
   * Waits until this process holds exactly `count` subscriptions, as graphql-ws's own test
   * servers wait for an operation: a change committed after that reaches every one of them.
   */
  async untilSubscriptions(count: number, timeoutMs = 5_000): Promise<void> {
    await waitUntil(() => this.app.jobChanges.size === count, {
      timeoutMs,
      intervalMs: 10,
      what: () => `${count} subscriptions on the server (it holds ${this.app.jobChanges.size})`,
    });
  }

  /** Registers a fresh user (a unique email each call) and returns it signed in. */
  register(prefix = 'user'): Promise<TestUser> {
    return signUp(this, prefix);
  }

  /** The configured first admin, signed in (cached per server). */
  async loginAdmin(): Promise<TestUser> {
    this.admin ??= await signIn(this, ADMIN_EMAIL, ADMIN_PASSWORD);
    return this.admin;
  }

  /**
   * Stops this server but keeps its database, and starts a new one on it with `env`, as an
   * upgrade or a restart would; the new server owns the database and drops it on close.
   */
  async restart(...[env, options]: Parameters<typeof TestServer.start>): Promise<TestServer> {
    await this.db.end();
    await this.app.close();
    return TestServer.start(env, { ...options, database: this.database });
  }

  /** Stops the server and drops its database. */
  async close(): Promise<void> {
    await this.db.end();
    await this.app.close();
    const client = new pg.Client({ connectionString: withDatabase(this.serverUrl, 'postgres') });
    await client.connect();
    try {
      await client.query(`drop database if exists "${this.database}" with (force)`);
    } finally {
      await client.end();
    }
  }
}

/** The code of a response's first error. */
export function errorCode(res: GqlResponse): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}
