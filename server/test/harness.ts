/**
 * The integration-test harness: a real gpuaas API on port 0 against a fresh PostgreSQL
 * database of its own, driven over HTTP like any client would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { startApp, type App } from '../src/app.js';
import { loadConfig, type Config, type ProcessRole } from '../src/config.js';
import { ensureDatabase } from '../src/db/embedded-postgres.js';
import { createLogger } from '../src/logger.js';

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
   * tests drive the lifecycle alone.
   */
  static async start(env: Record<string, string> = {}, { role = 'api' }: { role?: ProcessRole } = {}): Promise<TestServer> {
    const serverUrl = inject('databaseUrl');
    const database = `gpuaas_test_${randomBytes(6).toString('hex')}`;
    await ensureDatabase(withDatabase(serverUrl, 'postgres'), database);
    const databaseUrl = withDatabase(serverUrl, database);
    const config = loadConfig({
      PORT: '0',
      BCRYPT_COST: '10',
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      DATA_DIR: '/nonexistent',
      // Tests register many users from one address; the attack tests set real limits.
      AUTH_RATE_LIMIT_PER_ADDRESS: '100000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '100000',
      WEB_DIST: '/nonexistent',
      ...env,
    });
    const app = await startApp(config, { databaseUrl, log: createLogger('silent'), host: '127.0.0.1', role });
    const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
    return new TestServer(app, config, databaseUrl, db, serverUrl, database);
  }

  get url(): string {
    return this.app.url;
  }

  /** Starts a second API process in this process, on the same database and configuration (a replica). */
  startReplica(): Promise<App> {
    return startApp(this.config, { databaseUrl: this.databaseUrl, log: createLogger('silent'), host: '127.0.0.1', role: 'api' });
  }

  /** Sends one GraphQL operation over HTTP POST. */
  async gql<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
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

  /** Registers a fresh user (a unique email each call) and returns it signed in. */
  async register(prefix = 'user'): Promise<TestUser> {
    const email = `${prefix}-${randomUUID().slice(0, 8)}@example.org`;
    const res = await this.gql<{ register: { token: string; user: { id: string } } }>(
      'mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }',
      { input: { email, password: TEST_PASSWORD } },
    );
    if (!res.data?.register) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
    return { id: res.data.register.user.id, email, token: res.data.register.token };
  }

  /** The configured first admin, signed in (cached per server). */
  async loginAdmin(): Promise<TestUser> {
    if (this.admin) return this.admin;
    const res = await this.gql<{ login: { token: string; user: { id: string } } }>(
      'mutation ($input: LoginInput!) { login(input: $input) { token user { id } } }',
      { input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } },
    );
    if (!res.data?.login) throw new Error(`admin login failed: ${JSON.stringify(res.errors)}`);
    this.admin = { id: res.data.login.user.id, email: ADMIN_EMAIL, token: res.data.login.token };
    return this.admin;
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
