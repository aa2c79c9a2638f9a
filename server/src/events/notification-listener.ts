import pg from 'pg';
import type { Logger } from '../logger.js';
import { listen } from './job-event.queries.js';

const RECONNECT_MS = 1000;

/**
 * A connection LISTENing on some channels, reconnected a second after it is lost. `onListening`
 * runs after every (re)connection: what was announced meanwhile was missed, so the owner catches
 * up then (reads what it may have missed, drops what it may no longer trust).
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly channels: readonly string[],
    private readonly onNotification: (message: pg.Notification) => void,
    private readonly onListening: () => void,
    private readonly log: Logger,
    /** Who listens, for the log: "Event listener", "Scheduler listener". */
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', this.onNotification);
    client.on('error', (error) => {
      this.log.warn({ err: error }, `${this.name} connection lost; reconnecting`);
      this.client = undefined;
      void client.end().catch(() => {});
      setTimeout(() => void this.start().catch((e) => this.log.error({ err: e }, `${this.name} failed`)), RECONNECT_MS).unref();
    });
    await client.connect();
    await listen(client, this.channels);
    this.client = client;
    this.onListening();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => {});
  }
}
