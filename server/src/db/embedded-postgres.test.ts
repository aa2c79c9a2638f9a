import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded-postgres.js';

describe('the embedded PostgreSQL', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('should refuse a data folder a running PostgreSQL holds, saying which process and what to do', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gpuaas-embedded-'));
    const dataDir = path.join(dir, 'data');
    await mkdir(dataDir);
    // This test's own process stands in for the PostgreSQL left running.
    await writeFile(path.join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    await expect(startEmbeddedPostgres(dataDir)).rejects.toThrow(
      `the data folder ${dataDir} is in use by a running PostgreSQL (pid ${process.pid}): stop it (kill ${process.pid}), or set DATA_DIR to another folder`,
    );
  });
});
