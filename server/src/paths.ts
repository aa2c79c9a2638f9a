import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the nearest folder above this file holding both `server/` and
 * `migrations/`. The same from the sources (`server/src`) and the build (`server/dist/server/src`).
 */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(path.join(dir, 'server', 'package.json')) && existsSync(path.join(dir, 'migrations')))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Cannot find the gpuaas repository root (server/ and migrations/)');
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'migrations');
export const WEB_DIST_DIR = path.join(REPO_ROOT, 'web', 'dist');
export const SCHEMA_FILE = path.join(REPO_ROOT, 'schema.graphql');
