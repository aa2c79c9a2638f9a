/**
 * Global setup of the cli project: compiles the client (`npm run build -w cli`) when cli/dist is
 * missing or older than its sources, so the tests run the built `gpuaas` as users do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return p.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  return readdirSync(p).reduce((max, entry) => Math.max(max, newest(path.join(p, entry))), 0);
}

export default function setup(): void {
  const main = path.join(cliRoot, 'dist', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newest(path.join(cliRoot, 'src'))) return;
  const result = spawnSync('npm', ['run', 'build', '-w', 'cli'], { cwd: path.dirname(cliRoot), stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build -w cli failed (exit ${result.status ?? result.signal})`);
}
