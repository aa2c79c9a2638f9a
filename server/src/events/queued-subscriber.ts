import { PushSubscriber } from './push-subscriber.js';

/**
 * A subscription's queue of messages, consumed as an async iterator by graphql-ws. Messages wait
 * in order while the reader is busy; a reader that falls more than `maxQueued` behind is cut off
 * (the iterator ends) rather than let memory grow without bound, and refetches on reconnect.
 * `onEnd` is told when it ends, however it ends.
 */
export class QueuedSubscriber<T> extends PushSubscriber<T> {
  private readonly queue: T[] = [];

  constructor(
    private readonly maxQueued: number,
    onEnd: (s: QueuedSubscriber<T>) => void,
  ) {
    super(() => onEnd(this));
  }

  protected keep(message: T): void {
    if (this.queue.push(message) > this.maxQueued) void this.return();
  }

  protected take(): T | undefined {
    return this.queue.shift();
  }

  protected clear(): void {
    this.queue.length = 0;
  }
}
