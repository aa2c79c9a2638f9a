/**
 * What every live subscription of this process shares: an async iterator, consumed by graphql-ws,
 * that messages are pushed into. A message goes straight to a reader that waits for one; otherwise
 * the subclass keeps it (`keep`) until the reader asks (`take`). Ending it, by the reader or by the
 * subclass, drops what is kept and tells `onEnd` once.
 */
export abstract class PushSubscriber<T> implements AsyncIterableIterator<T> {
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  protected constructor(private readonly onEnd: () => void) {}

  /** Keeps a message no reader waits for. */
  protected abstract keep(message: T): void;
  /** The next kept message, or undefined when none is kept. */
  protected abstract take(): T | undefined;
  /** Drops every kept message. */
  protected abstract clear(): void;

  push(message: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: message, done: false });
    } else {
      this.keep(message);
    }
  }

  next(): Promise<IteratorResult<T>> {
    const kept = this.take();
    if (kept !== undefined) return Promise.resolve({ value: kept, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.clear();
      this.onEnd();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
