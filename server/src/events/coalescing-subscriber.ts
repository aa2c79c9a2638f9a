import { PushSubscriber } from './push-subscriber.js';

/**
 * A subscription that holds at most one unread message: what arrives while the reader is busy is
 * merged into it (`merge`), so a slow reader costs one message of memory, however much happens.
 * Consumed as an async iterator by graphql-ws; `onEnd` is told when it ends.
 */
export class CoalescingSubscriber<T> extends PushSubscriber<T> {
  private unread: T | undefined;

  constructor(
    /** The message that stands for `unread` followed by `next`. */
    private readonly merge: (unread: T, next: T) => T,
    onEnd: (s: CoalescingSubscriber<T>) => void,
  ) {
    super(() => onEnd(this));
  }

  protected keep(message: T): void {
    this.unread = this.unread === undefined ? message : this.merge(this.unread, message);
  }

  protected take(): T | undefined {
    const value = this.unread;
    this.unread = undefined;
    return value;
  }

  protected clear(): void {
    this.unread = undefined;
  }
}
