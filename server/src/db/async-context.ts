/**
 * Turns Node's async-context tracking back off when no ORM context is open.
 *
 * MikroORM opens an `AsyncLocalStorage` context around every transaction (`TransactionContext`),
 * every flush (its unit of work's "inside flush" guard) and `findAndCount`. Up to Node 22,
 * `AsyncLocalStorage` works through async hooks: the first `run` of any storage turns on a hook
 * that runs for every promise the process creates, and it stays on for the life of the process.
 * After the first write, every request paid for it: about a tenth of the CPU of a request that
 * never touches the database.
 *
 * `releaseIdleAsyncContexts` wraps `AsyncLocalStorage.prototype.run` (public API) to count the
 * contexts open in the process; when the last one ends (its callback returned, or the promise it
 * returned settled), every storage that `run` enabled is disabled again with `disable()` (public
 * API). The next `run` enables it as before. Disabling while nothing is open changes no answer:
 * a storage is read only inside its `run`. Storages entered with `enterWith` are never disabled
 * here. On runtimes where contexts cost nothing when unused (Node 24's AsyncContextFrame),
 * `disable()` is cheap and harmless.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Storages that `run` has enabled since they were last disabled. */
const enabled = new Set<AsyncLocalStorage<unknown>>();
/** Contexts open now (a `run` whose callback has not finished). */
let open = 0;
let installed = false;

/** How many `run` contexts are open in the process now (for tests). */
export function openAsyncContexts(): number {
  return open;
}

function closed(): void {
  open -= 1;
  if (open > 0) return;
  for (const storage of enabled) storage.disable();
  enabled.clear();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Installs the wrapper once per process; later calls do nothing. */
export function releaseIdleAsyncContexts(): void {
  if (installed) return;
  installed = true;
  const run = AsyncLocalStorage.prototype.run;
  AsyncLocalStorage.prototype.run = function runCounted<R, A extends unknown[]>(
    this: AsyncLocalStorage<unknown>,
    store: unknown,
    callback: (...args: A) => R,
    ...args: A
  ): R {
    enabled.add(this);
    open += 1;
    let result: R;
    try {
      result = run.call(this, store, callback, ...args) as R;
    } catch (error) {
      closed();
      throw error;
    }
    // An async callback's context lasts until its promise settles: its continuations read it.
    if (isThenable(result)) result.then(closed, closed);
    else closed();
    return result;
  } as typeof run;
}
