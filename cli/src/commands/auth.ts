import os from 'node:os';
import readline from 'node:readline';
import { Api } from '../api.js';
import { DEFAULT_URL, removeConfig, writeConfig, type StoredConfig } from '../config.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../exit-codes.js';
import { CliCreateApiTokenDocument, CliLoginDocument, CliMeDocument, CliRevokeApiTokenDocument } from '../generated/graphql.js';

export interface LoginOptions {
  url?: string;
  token?: string;
  email?: string;
  passwordStdin?: boolean;
  name?: string;
  expiresInDays?: number;
  noExpiry?: boolean;
}

/**
 * Questions on the terminal, answered line by line (lines typed ahead wait for their question);
 * a hidden answer (the password) is not echoed.
 */
class Prompt {
  private muted = false;
  private readonly rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  private readonly lines = this.rl[Symbol.asyncIterator]();

  constructor() {
    const writer = this.rl as unknown as { _writeToOutput: (s: string) => void };
    writer._writeToOutput = (s: string) => {
      if (!this.muted) process.stderr.write(s);
    };
  }

  async ask(question: string, hidden = false): Promise<string> {
    process.stderr.write(question);
    this.muted = hidden;
    const { value } = await this.lines.next();
    this.muted = false;
    if (hidden) process.stderr.write('\n');
    return typeof value === 'string' ? value : '';
  }

  close(): void {
    this.rl.close();
  }
}

/** All of stdin, without the final line break (`--password-stdin`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * `gpuaas login`: signs in with email and password and stores a new API token for this machine
 * (the password is never stored), or stores a token given with `--token` after checking it.
 */
export async function login(ctx: Context, options: LoginOptions): Promise<void> {
  // With --password-stdin, standard input is the password: nothing else is asked.
  const prompt = process.stdin.isTTY === true && !options.passwordStdin ? new Prompt() : undefined;
  try {
    await signIn(ctx, options, prompt);
  } finally {
    prompt?.close();
  }
}

async function signIn(ctx: Context, options: LoginOptions, prompt: Prompt | undefined): Promise<void> {
  let url = options.url ?? ctx.env.GPUAAS_URL;
  if (url === undefined) {
    const fallback = ctx.stored?.url ?? DEFAULT_URL;
    url = prompt ? (await prompt.ask(`Server URL [${fallback}]: `)).trim() || fallback : fallback;
  }
  url = url.replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw usageError(`not an http(s) URL: ${url}`);
  const api = new Api(url, undefined);

  let stored: StoredConfig;
  if (options.token !== undefined) {
    const { me } = await api.request(CliMeDocument, {}, options.token);
    stored = { url, token: options.token, email: me.email };
  } else {
    const email = options.email ?? (prompt ? (await prompt.ask('Email: ')).trim() : undefined);
    if (!email) throw usageError('no email: pass --email, or run it on a terminal');
    let password: string;
    if (options.passwordStdin) password = await readStdin();
    else if (prompt) password = await prompt.ask('Password: ', true);
    else throw usageError('no terminal to ask for the password: pass --password-stdin, or --token');
    const { login: session } = await api.request(CliLoginDocument, { input: { email, password } });
    const name = options.name ?? `gpuaas CLI on ${os.hostname()}`;
    const expiresInDays = options.noExpiry ? null : (options.expiresInDays ?? 90);
    const { createApiToken } = await api.request(CliCreateApiTokenDocument, { name, expiresInDays }, session.token);
    stored = { url, token: createApiToken.token, tokenId: createApiToken.apiToken.id, email: session.user.email };
    ctx.out.note(`Created the API token "${createApiToken.apiToken.name}"${createApiToken.apiToken.expiresAt ? ` (expires ${createApiToken.apiToken.expiresAt.slice(0, 10)})` : ''}.`);
  }
  await writeConfig(stored, ctx.configFile);
  ctx.out.data({ url, email: stored.email, configFile: ctx.configFile, tokenId: stored.tokenId ?? null });
  ctx.out.line(`Signed in to ${url} as ${stored.email}; token saved in ${ctx.configFile}`);
}

/** `gpuaas logout`: revokes the token `login` created (when it did) and forgets the configuration. */
export async function logout(ctx: Context): Promise<void> {
  const stored = ctx.stored;
  let revoked = false;
  if (stored?.tokenId) {
    try {
      await new Api(stored.url, stored.token).request(CliRevokeApiTokenDocument, { id: stored.tokenId });
      revoked = true;
    } catch (error) {
      // Already revoked (say, from the web app) or gone: forgetting it is all that is left to do.
      if (!(error instanceof CliError) || (error.code !== 'UNAUTHENTICATED' && error.code !== 'NOT_FOUND')) throw error;
    }
  }
  const removed = await removeConfig(ctx.configFile);
  ctx.out.data({ revoked, removed });
  ctx.out.line(removed ? `Signed out${revoked ? '; the API token was revoked' : ''}.` : 'Not signed in.');
}
