import pg from 'pg';

/** Runs one statement: on the pool, or inside one transaction. */
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
    return (await this.pool.query(text, values as unknown[])).rows as T[];
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back
   * when it throws (its error is rethrown). A connection whose rollback fails is discarded.
   */
  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const result = await work({ rows: async <R>(text: string, values: readonly unknown[] = []) => (await client.query(text, values as unknown[])).rows as R[] });
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
