/**
 * What the notification tests share: their GraphQL operations, and a real HTTP webhook receiver
 * that verifies every message with the `standardwebhooks` package (the library a receiver would
 * use, not the server's own signing code).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { GqlEndpoint } from './factories.js';
import { dataOf } from './factories.js';
import type { TestUser } from './harness.js';

export const NOTIFICATION_FIELDS = 'id kind title body createdAt readAt job { id name status }';
export const NOTIFICATIONS = `query Notifications($first: Int, $after: String) {
  notifications(first: $first, after: $after) { totalCount edges { cursor node { ${NOTIFICATION_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
export const UNREAD = 'query UnreadNotifications { unreadNotifications }';
export const MARK_READ = 'mutation MarkNotificationsRead($ids: [ID!]) { markNotificationsRead(ids: $ids) }';
export const CREATE_WEBHOOK = `mutation CreateWebhook($url: String!, $events: [NotificationKind!]!) {
  createWebhook(url: $url, events: $events) { secret webhook { id url events createdAt } }
}`;
export const WEBHOOKS = 'query Webhooks { webhooks { id url events createdAt } }';
export const DELETE_WEBHOOK = 'mutation DeleteWebhook($id: ID!) { deleteWebhook(id: $id) }';
export const DELIVERIES = `query WebhookDeliveries($webhookId: ID!, $first: Int) {
  webhookDeliveries(webhookId: $webhookId, first: $first) { id kind status attempts lastError nextAttemptAt deliveredAt }
}`;
export const PREFERENCES = 'query NotificationPreferences { notificationPreferences { email } }';
export const UPDATE_PREFERENCES = `mutation UpdateNotificationPreferences($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { email }
}`;
export const NOTIFICATION_RECEIVED = `subscription NotificationReceived { notificationReceived { ${NOTIFICATION_FIELDS} } }`;

/** Every notification kind. */
export const ALL_KINDS = [
  'JOB_APPROVED', 'JOB_REJECTED', 'JOB_STARTED', 'JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELLED',
  'QUOTA_80', 'QUOTA_100', 'JOB_AWAITING_APPROVAL', 'NODE_DOWN',
];

/** One notification as `NOTIFICATION_FIELDS` selects it. */
export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
  job: { id: string; name: string; status: string } | null;
}

/** A user's notifications, newest first (the first 100). */
export async function notificationsOf(api: GqlEndpoint, user: Pick<TestUser, 'token'>): Promise<NotificationView[]> {
  const res = await api.gql<{ notifications: { edges: { node: NotificationView }[] } }>(NOTIFICATIONS, { first: 100 }, user.token);
  return dataOf(res, 'notifications').notifications.edges.map((e) => e.node);
}

export async function unreadOf(api: GqlEndpoint, user: Pick<TestUser, 'token'>): Promise<number> {
  return dataOf(await api.gql<{ unreadNotifications: number }>(UNREAD, {}, user.token), 'unreadNotifications').unreadNotifications;
}

/** Creates a webhook for `user` and returns its id and secret. */
export async function createWebhook(api: GqlEndpoint, user: Pick<TestUser, 'token'>, url: string, events = ALL_KINDS): Promise<{ id: string; secret: string }> {
  const res = await api.gql<{ createWebhook: { secret: string; webhook: { id: string } } }>(CREATE_WEBHOOK, { url, events }, user.token);
  const { createWebhook: created } = dataOf(res, 'createWebhook');
  return { id: created.webhook.id, secret: created.secret };
}

/** One message the receiver accepted or refused. */
export interface ReceivedMessage {
  id: string;
  timestamp: number;
  body: { type: string; timestamp: string; data: Record<string, any> };
  /** Whether the receiver answered 2xx. */
  accepted: boolean;
  at: number;
}

/**
 * A webhook receiver on 127.0.0.1. Every request is verified with `standardwebhooks` against the
 * secret of the webhook its path names (`/<name>`); one that does not verify is recorded in
 * `invalid` and refused. `respond` decides each verified request's answer: a status, or 'hang'
 * to never answer.
 */
export class WebhookReceiver {
  readonly messages: ReceivedMessage[] = [];
  readonly invalid: string[] = [];
  private readonly secrets = new Map<string, string>();
  private server!: http.Server;
  url = '';

  constructor(private readonly respond: (message: ReceivedMessage, index: number) => number | 'hang' | Promise<number> = () => 204) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(req, Buffer.concat(chunks).toString('utf8'), res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The URL for a webhook named `name`, whose messages are verified with `secret` once `trust` is called. */
  urlFor(name: string): string {
    return `${this.url}/${name}`;
  }

  trust(name: string, secret: string): void {
    this.secrets.set(name, secret);
  }

  private async handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    const name = (req.url ?? '/').slice(1);
    const secret = this.secrets.get(name);
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    let payload: ReceivedMessage['body'];
    try {
      if (secret === undefined) throw new Error(`no secret for ${name}`);
      payload = new Webhook(secret).verify(body, headers) as ReceivedMessage['body'];
    } catch (error) {
      this.invalid.push(`${name}: ${(error as Error).message}`);
      res.writeHead(400).end();
      return;
    }
    const message: ReceivedMessage = { id: headers['webhook-id'], timestamp: Number(headers['webhook-timestamp']), body: payload, accepted: false, at: Date.now() };
    const index = this.messages.push(message) - 1;
    const answer = await this.respond(message, index);
    if (answer === 'hang') return; // never answers; the socket stays open until the sender gives up
    message.accepted = answer >= 200 && answer < 300;
    res.writeHead(answer).end();
  }

  /** The accepted messages. */
  get accepted(): ReceivedMessage[] {
    return this.messages.filter((m) => m.accepted);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
