/**
 * A subscription that holds at most one unread message: what arrives while the reader is busy is
 * merged into it (`merge`), so a slow reader costs one message of memory, however much happens.
 * Consumed as an async iterator by graphql-ws; `onEnd` is told when it ends.
 */
export class CoalescingSubscriber<T> implements AsyncIterableIterator<T> {
  private unread: T | undefined;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(
    /** The message that stands for `unread` followed by `next`. */
    private readonly merge: (unread: T, next: T) => T,
    private readonly onEnd: (s: CoalescingSubscriber<T>) => void,
  ) {}

  push(message: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: message, done: false });
    } else {
      this.unread = this.unread === undefined ? message : this.merge(this.unread, message);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.unread !== undefined) {
      const value = this.unread;
      this.unread = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.unread = undefined;
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
