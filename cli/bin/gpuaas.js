#!/usr/bin/env node
// The `gpuaas` command. Runs the compiled client (`npm run build -w cli`, which `npm run build` and
// the tests run) when it is at least as new as its sources; otherwise (a fresh clone, or sources
// edited since) runs the TypeScript sources through tsx, so the command always matches the code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/main.js', import.meta.url);
const sources = fileURLToPath(new URL('../src', import.meta.url));

/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.name.endsWith('.test.ts')) max = Math.max(max, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return max;
}

const built = existsSync(compiled) && (!existsSync(sources) || statSync(compiled).mtimeMs >= newest(sources));
if (built) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
