import pg from 'pg';

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
 * Plain SQL on the `pg` driver, beside MikroORM, for the statements every request runs: the
 * token check, a submission and a page of jobs. There the ORM's query building, hydration and
 * unit of work cost the API more CPU than PostgreSQL spends on the statements themselves (see
 * bench/RESULTS.md). Everything else, and the schema and migrations, stays with MikroORM.
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

  close(): Promise<void> {
    return this.pool.end();
  }
}
