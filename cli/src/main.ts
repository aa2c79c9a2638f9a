/**
 * `gpuaas`: the command-line client. Every command takes `--json`; exit codes are in
 * exit-codes.ts (0 ok, 1 error, 2 usage, 3 not found, 4 quota or capacity).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { approve, complete, fail, reject, start } from './commands/admin.js';
import { gpus, quota, setQuota } from './commands/account.js';
import { login, logout } from './commands/auth.js';
import { cancel, jobs, show, submit } from './commands/jobs.js';
import { follow } from './commands/watch.js';
import { contextFor, type CommonOptions, type Context } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { Output } from './output.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

/** A whole number of at least 1. */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** A number above 0. */
function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

/** A number of 0 or more. */
function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of 0 or more');
  return n;
}

/** Runs a command's body with its context, turning failures into words and exit codes. */
function act<A extends unknown[]>(body: (ctx: Context, ...args: A) => Promise<number | void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals<CommonOptions>();
    let out = new Output(options.json === true);
    try {
      const ctx = await contextFor(options);
      out = ctx.out;
      process.exitCode = (await body(ctx, ...(args.slice(0, -1) as A))) ?? ExitCode.Ok;
    } catch (error) {
      const failure = error instanceof CliError ? error : new CliError('INTERNAL', `unexpected failure: ${(error as Error)?.message ?? String(error)}`, ExitCode.Error);
      out.error(failure);
      process.exitCode = failure.exitCode;
    }
  };
}

/** The program, its commands and their help. */
export function buildProgram(): Command {
  const program = new Command('gpuaas')
    .description('gpuaas from the terminal: submit, watch and manage GPU jobs.\nGPUAAS_URL and GPUAAS_TOKEN override the stored server and token.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const withJson = (c: Command) => c.option('--json', 'print JSON, for scripts');

  withJson(program.command('login'))
    .description('sign in and store an API token in ~/.config/gpuaas/config.json (mode 0600)')
    .option('--url <url>', 'the server, e.g. https://gpus.lab.example')
    .option('--token <token>', 'store this API token (gpa_…) instead of signing in with a password')
    .option('--email <email>', 'your email')
    .option('--password-stdin', 'read the password from standard input')
    .option('--name <name>', 'what to call the new API token (default: "gpuaas CLI on <host>")')
    .option('--expires-in-days <days>', 'the new token expires after this many days (default 90)', positiveInt)
    .option('--no-expiry', 'the new token never expires')
    .addHelpText('after', '\nExamples:\n  gpuaas login --url http://localhost:8000\n  echo "$PASSWORD" | gpuaas login --email ada@lab.example --password-stdin\n  gpuaas login --token gpa_…')
    .action(act((ctx, options: { url?: string; token?: string; email?: string; passwordStdin?: boolean; name?: string; expiresInDays?: number; expiry?: boolean }) =>
      login(ctx, { ...options, noExpiry: options.expiry === false })));

  withJson(program.command('logout'))
    .description('revoke the stored API token and forget it')
    .action(act((ctx) => logout(ctx)));

  withJson(program.command('submit <name>'))
    .description('submit a GPU job; prints its id, its cost and the quota left')
    .requiredOption('--gpus <count>', 'GPUs on one node', positiveInt)
    .option('--type <gpuType>', 'GPU type, e.g. H100 (default: the first type)')
    .requiredOption('--hours <hours>', 'wall-clock time limit in hours', positiveNumber)
    .option('--wait', 'follow the job until it ends; exit 0 if it completed, 1 if not')
    .addHelpText('after', '\nExample:\n  gpuaas submit llama-finetune --gpus 4 --type H100 --hours 6')
    .action(act((ctx, name: string, options: { gpus: number; type?: string; hours: number; wait?: boolean }) => submit(ctx, name, options)));

  withJson(program.command('jobs'))
    .description('list your jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
    .option('--all', "everyone's jobs (admins)")
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .action(act((ctx, options: { status?: (typeof STATUSES)[number]; all?: boolean; limit: number }) => jobs(ctx, options)));

  withJson(program.command('show <id>'))
    .description('one job: status, node and GPUs, wait estimate and events')
    .action(act((ctx, id: string) => show(ctx, id)));

  withJson(program.command('cancel <id>'))
    .description('cancel a job (running jobs are charged for the time they ran)')
    .action(act((ctx, id: string) => cancel(ctx, id)));

  withJson(program.command('watch [id]'))
    .description('follow a job live until it ends (without ID: all your jobs that have not ended)')
    .action(act((ctx, id: string | undefined) => follow(ctx, id)));

  const quotaCommand = withJson(program.command('quota'))
    .description("this month's GPU-hours: limit, used, remaining")
    .action(act((ctx) => quota(ctx)));
  withJson(quotaCommand.command('set <user> <hours>'))
    .description("set a user's monthly GPU-hour limit, by email or id (admins)")
    .action(act((ctx, user: string, hoursText: string) => {
      let limit: number;
      try {
        limit = nonNegativeNumber(hoursText);
      } catch (error) {
        throw new CliError('USAGE', `hours: ${(error as Error).message}`, ExitCode.Usage);
      }
      return setQuota(ctx, user, limit);
    }));

  withJson(program.command('gpus'))
    .description("the cluster's GPU pools: free, allocated, draining, down, queued")
    .action(act((ctx) => gpus(ctx)));

  withJson(program.command('approve <id>'))
    .description('approve a pending job (admins)')
    .action(act((ctx, id: string) => approve(ctx, id)));
  withJson(program.command('reject <id>'))
    .description('reject a pending or approved job, refunding it (admins)')
    .option('--reason <text>', 'told to the owner')
    .action(act((ctx, id: string, options: { reason?: string }) => reject(ctx, id, options.reason)));
  withJson(program.command('start <id>'))
    .description('start an approved job on the best-fitting node, or on --node (admins)')
    .option('--node <name>', 'the node, by name or id')
    .action(act((ctx, id: string, options: { node?: string }) => start(ctx, id, options.node)));
  withJson(program.command('complete <id>'))
    .description('mark a running job completed (admins)')
    .action(act((ctx, id: string) => complete(ctx, id)));
  withJson(program.command('fail <id>'))
    .description('mark a running job failed (admins)')
    .option('--reason <text>', 'told to the owner')
    .action(act((ctx, id: string, options: { reason?: string }) => fail(ctx, id, options.reason)));

  return program;
}

/** Runs `gpuaas` with `argv` (as process.argv); sets process.exitCode. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and --version exit 0; any other complaint about the command line is a usage error.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? ExitCode.Ok : ExitCode.Usage;
  }
}

await main();
