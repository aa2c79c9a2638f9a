/**
 * The PostgreSQL the benchmarks run on: the server at DATABASE_URL when it is set, otherwise an
 * embedded one in a temporary folder with PostgreSQL's durable defaults (fsync and synchronous
 * commit on, unlike the test suite's fast settings). Each scenario gets a fresh database of its
 * own, migrated by the server's own migrator, and drops it at the end.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from '../server/src/db/embedded-postgres.js';
import { migrate, openOrm } from '../server/src/db/orm.js';
import { withDatabase } from '../server/test/harness.js';

/** A PostgreSQL server the benchmarks may create databases on. */
export interface DatabaseServer {
  /** A URL of the server (its `postgres` database). */
  url: string;
  /** Says which server this is and how durable its settings are. */
  description: string;
  version: string;
  stop(): Promise<void>;
}

async function describe(url: string, embedded: boolean): Promise<{ description: string; version: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const settings = await client.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections') order by name`,
    );
    const version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    const s = settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ');
    const where = embedded ? 'embedded PostgreSQL in a temporary folder (DATABASE_URL unset)' : 'the server at DATABASE_URL';
    return { description: `${where} (${s})`, version: `PostgreSQL ${version}` };
  } finally {
    await client.end();
  }
}

/** The server at `databaseUrl`, or an embedded one under `dir`. */
export async function startDatabaseServer(databaseUrl: string | undefined, dir: string): Promise<DatabaseServer> {
  if (databaseUrl !== undefined) {
    const url = withDatabase(databaseUrl, 'postgres');
    return { url, ...(await describe(url, false)), stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres(path.join(dir, 'pgdata'), { fast: false });
  return { url: embedded.url, ...(await describe(embedded.url, true)), stop: () => embedded.stop() };
}

/** A fresh, migrated database for one scenario. */
export interface ScenarioDatabase {
  url: string;
  /** A pool on it, for seeding and direct SQL. */
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Creates a database named after `scenario` and applies the server's migrations to it. */
export async function createScenarioDatabase(server: DatabaseServer, scenario: string): Promise<ScenarioDatabase> {
  const name = `gpuaas_bench_${scenario}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  const orm = await openOrm(url);
  try {
    await migrate(orm);
  } finally {
    await orm.close();
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // Dropping the database ends whatever connection a sampler still has in flight (57P01): expected
  // at the end of a cell, and no reason to bring the whole run down.
  pool.on('error', () => {});
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
