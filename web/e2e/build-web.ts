/**
 * Global setup of the e2e project: builds web/dist once when it is missing or older than the
 * app's sources, so the browser tests always drive the current app (the same staleness rule as
 * scripts/ensure-built.mjs uses before `npm start`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.dirname(webRoot);
/** What the build reads (`../common` is shared with the server); component tests (`*.test.ts`) are not part of the bundle. */
const SOURCES = ['src', '../common', 'public', 'index.html', 'vite.config.ts', 'package.json'];

/** Newest modification time of any file at or under `p` (0 when none exist). */
function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return p.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  return readdirSync(p).reduce((max, entry) => Math.max(max, newest(path.join(p, entry))), 0);
}

export default function setup(): void {
  const index = path.join(webRoot, 'dist', 'index.html');
  const sources = Math.max(...SOURCES.map((source) => newest(path.join(webRoot, source))));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  // Vitest sets NODE_ENV=test, which would make Vite bundle Vue's development build.
  const env = { ...process.env, NODE_ENV: 'production' };
  const result = spawnSync('npm', ['run', 'build', '-w', 'web'], { cwd: repoRoot, stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`npm run build -w web failed (exit ${result.status ?? result.signal})`);
}
