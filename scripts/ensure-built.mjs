#!/usr/bin/env node
// Runs before `npm start`: builds the server and the web app when their output is missing or
// older than their sources, so a fresh clone starts with `npm install && npm start`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Newest modification time of any file under `dirs` (0 when none exist). */
function newest(dirs) {
  let max = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      if (path.basename(p) === 'node_modules' || path.basename(p) === 'dist') return;
      for (const e of readdirSync(p)) walk(path.join(p, e));
    } else max = Math.max(max, s.mtimeMs);
  };
  dirs.forEach((d) => walk(path.join(root, d)));
  return max;
}

function stale(output, sources) {
  const out = path.join(root, output);
  return !existsSync(out) || statSync(out).mtimeMs < newest(sources);
}

function build(workspace) {
  process.stdout.write(`Building ${workspace}…\n`);
  const result = spawnSync('npm', ['run', 'build', '-w', workspace], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (stale('server/dist/server/src/main.js', ['server/src', 'common', 'migrations', 'server/tsconfig.json', 'server/tsconfig.build.json'])) {
  build('server');
}
// `--server` (used by `npm run migrate`) needs no web app.
if (!process.argv.includes('--server') && stale('web/dist/index.html', ['web/src', 'common', 'web/index.html', 'web/vite.config.ts'])) {
  build('web');
}
