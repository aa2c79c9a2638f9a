/**
 * A subscription's queue of messages, consumed as an async iterator by graphql-ws. Messages wait
 * in order while the reader is busy; a reader that falls more than `maxQueued` behind is cut off
 * (the iterator ends) rather than let memory grow without bound, and refetches on reconnect.
 * `onEnd` is told when it ends, however it ends.
 */
export class QueuedSubscriber<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(
    private readonly maxQueued: number,
    private readonly onEnd: (s: QueuedSubscriber<T>) => void,
  ) {}

  push(message: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: message, done: false });
    } else if (this.queue.push(message) > this.maxQueued) {
      void this.return();
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.onEnd(this);
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
