import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the fixture; `stdoutAtWaited` is what stdout held when it wrote "waited" on stderr. */
function run(mode: 'exit' | 'crash' | 'idle'): Promise<{ code: number | null; stdout: string; stdoutAtWaited: string | undefined }> {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'test/ops/fixtures/log-lines.ts', mode], {
    cwd: SERVER_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stdoutAtWaited: string | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (chunk.includes('waited')) stdoutAtWaited ??= stdout;
  });
  return new Promise((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stdoutAtWaited }));
  });
}

const messages = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('the batched log', () => {
  it('should write every line when the process exits right after logging', async () => {
    const { code, stdout } = await run('exit');
    expect(code).toBe(0);
    expect(messages(stdout)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('should write every line logged before a crash', async () => {
    const { code, stdout } = await run('crash');
    expect(code).not.toBe(0);
    expect(messages(stdout)).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('should write a batch that is not full within its flush interval', async () => {
    const { stdoutAtWaited } = await run('idle');
    expect(messages(stdoutAtWaited ?? '')).toEqual(['line 0', 'line 1', 'line 2']);
  });
});
