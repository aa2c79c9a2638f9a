/**
 * How gpuaas reaches PostgreSQL: one rule, read this before adding a statement.
 *
 * 1. Every statement lives in a data-access module of its feature (`modules/<feature>/`,
 *    `events/`, `worker/`), in `db/` (connection, migrator, readiness) or in `migrations/`.
 *    Resolvers, services, `app.ts` and `graphql/` hold no SQL text.
 * 2. `*.repository.ts` goes through MikroORM's EntityManager of the current unit of work:
 *    entities, the query builder, or `em.execute` for raw statements, which then run inside that
 *    unit of work's transaction. This is the default, and the only choice for anything that runs
 *    in a transaction with other ORM work (lifecycle transitions, settlement, quota refunds,
 *    worker steps, rate limits, settings). A repository is obtained with
 *    `em.getRepository(Entity)` (the entity names it with `@Entity({ repository })`).
 * 3. `*.queries.ts` is plain functions on the `pg` pool below, through a `SqlRunner` (`$n`
 *    placeholders, named prepared statements, rows mapped to plain records). Only for hot paths
 *    where the bench showed the ORM costing more CPU than PostgreSQL (the token check, a
 *    submission as one statement, job pages), and for statements that belong to no unit of work
 *    (the event relay's reads, NOTIFY wake-ups, the sockets' token re-check). Each is a unit on
 *    its own: one statement, autocommit.
 * 4. Never call the plain pool from inside an ORM transaction. It is another connection: it
 *    cannot see the transaction's uncommitted rows, and it waits, possibly forever, on any lock
 *    that transaction holds.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { to as copyTo } from 'pg-copy-streams';

const names = new Map<string, string>();

/**
 * A statement as a named prepared statement: each connection parses and plans a text once and
 * then only binds and executes it, which took PostgreSQL's CPU per submission from ~1.2 ms to
 * ~0.6 ms. Every text here is fixed (values go in parameters), so there are only a handful.
 * Behind PgBouncer in transaction mode this needs its prepared statement support (1.21+).
 */
export function prepared(text: string, values: readonly unknown[] = []): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `gpuaas_${names.size}`;
    names.set(text, name);
  }
  return { name, text, values: values as unknown[] };
}

/** Runs one statement and returns its rows (the pool here; a fake in a test). */
export interface SqlRunner {
  rows<T>(text: string, values?: readonly unknown[]): Promise<T[]>;
}

/**
 * The plain pool of rule 3 above, beside MikroORM's: where the ORM's query building, hydration
 * and unit of work cost the API more CPU than PostgreSQL spends on the statements themselves (see
 * bench/RESULTS.md), and for statements outside any unit of work. Everything else, and the
 * schema and migrations, stays with MikroORM.
 *
 * Statements are fixed text with `$n` placeholders; nothing here builds SQL from input.
 */
export class Sql implements SqlRunner {
  private constructor(private readonly pool: pg.Pool) {}

  /**
   * A pool of at most `max` connections to `url`. A connection that fails while idle (the server
   * restarted, say) is dropped and reported to `onIdleError`, instead of crashing the process.
   */
  static open(url: string, max: number, onIdleError: (error: Error) => void): Sql {
    const pool = new pg.Pool({ connectionString: url, max });
    pool.on('error', onIdleError);
    return new Sql(pool);
  }

  async rows<T>(text: string, values: readonly unknown[] = []): Promise<T[]> {
    return (await this.pool.query(prepared(text, values))).rows as T[];
  }

  /**
   * Runs one read and yields its rows `batchSize` at a time from a server-side cursor, so a result
   * of any size costs this process one batch of memory. The statement holds a pooled connection
   * until the generator finishes or is ended early (`return`, a `break` in `for await`).
   */
  async *stream<T>(text: string, values: readonly unknown[], batchSize: number): AsyncGenerator<T[], void, undefined> {
    const client = await this.pool.connect();
    const cursor = client.query(new Cursor<T>(text, values as unknown[]));
    let failed = false;
    try {
      for (;;) {
        const rows = await cursor.read(batchSize);
        if (rows.length === 0) return;
        yield rows;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // A connection whose cursor failed may be mid-protocol: drop it rather than reuse it.
      await cursor.close().catch(() => {});
      client.release(failed);
    }
  }

  /**
   * Runs `COPY (…) TO STDOUT` and yields its output as PostgreSQL sends it, in Buffers: a result
   * of any size flows through without a JavaScript object per row. COPY takes no bind
   * parameters, so `settings` (name → value) are set first with `set_config`, as parameters, in
   * the same read-only transaction, and the statement reads them with `current_setting`; its
   * text stays fixed. Ending the generator early drops the connection, which is mid-COPY.
   */
  async *copyOut(text: string, settings: Readonly<Record<string, string>>): AsyncGenerator<Buffer, void, undefined> {
    const client = await this.pool.connect();
    let clean = false;
    try {
      await client.query('begin read only');
      for (const [name, value] of Object.entries(settings)) await client.query(prepared('select set_config($1, $2, true)', [name, value]));
      const stream = client.query(copyTo(text));
      for await (const chunk of stream) yield chunk as Buffer;
      await client.query('commit');
      clean = true;
    } finally {
      client.release(!clean);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
