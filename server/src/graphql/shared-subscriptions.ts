import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * Subscriptions whose results are computed once per event and operation, then sent to every
 * subscriber of the same operation. A change of a job reaches every admin's subscription; each
 * used to execute the same query over the same change, which was most of the CPU of a
 * delivery (bench/RESULTS.md, "Live"). Now the first subscriber to take a change executes it and
 * the others with the same key reuse the result.
 *
 * The key is given per operation (see `share`): the query text, operation name and variables,
 * and who is asking, in the terms that can change an answer (all admins alike; a user as
 * themselves), so no one receives a result computed for a viewer who may see more. Results are
 * kept per event object in a WeakMap: they go when every subscriber has taken the event.
 */
export class SharedSubscriptions {
  private readonly keys = new WeakMap<object, string>();
  private readonly results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

  /** Lets the operation whose context is `context` share results with others of `key`. */
  share(context: object, key: string): void {
    this.keys.set(context, key);
  }

  /** A drop-in for graphql-js's `subscribe`, for graphql-ws's `subscribe` option. */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const key = typeof args.contextValue === 'object' && args.contextValue !== null ? this.keys.get(args.contextValue) : undefined;
    const run = (event: unknown) => Promise.resolve(execute({ ...args, rootValue: event }));
    if (key === undefined) return mapIterator(stream[Symbol.asyncIterator](), run);
    return mapIterator(stream[Symbol.asyncIterator](), (event) => {
      if (typeof event !== 'object' || event === null) return run(event);
      let byKey = this.results.get(event);
      if (byKey === undefined) this.results.set(event, (byKey = new Map()));
      let result = byKey.get(key);
      if (result === undefined) byKey.set(key, (result = run(event)));
      return result;
    });
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Maps an async iterator. Written by hand rather than as an async generator: a generator
 * waiting for the next event could not be ended until that event came, while this `return()`
 * ends the source at once (graphql-ws calls it when a client completes or disconnects).
 */
function mapIterator<T, R>(source: AsyncIterator<T>, map: (value: T) => Promise<R>): AsyncIterableIterator<R> {
  const end = async (): Promise<IteratorResult<R>> => {
    await source.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      const step = await source.next();
      return step.done ? { value: undefined, done: true } : { value: await map(step.value), done: false };
    },
    return: end,
    async throw(error: unknown) {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
