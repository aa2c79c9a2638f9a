import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotificationsConfig } from '../../config.js';
import { badUserInput } from '../../errors/app-error.js';
import { checkPageSize, isUuid, MAX_PAGE_SIZE } from '../../pagination.js';
import { requireViewer } from '../auth/viewer.js';
import type { Viewer } from '../auth/viewer.js';
import { NOTIFICATION_KINDS, type NotificationKind } from './notification-kind.js';
import { notificationErrors } from './notification.errors.js';
import { NotificationRepository, type DeliveryRecord, type NotificationRecord, type WebhookRecord } from './notification.repository.js';
import { parseWebhookUrl, refuseTarget } from './webhook-target.js';

/** Most webhooks one user may have. */
export const MAX_WEBHOOKS_PER_USER = 20;
/** Most ids one `markNotificationsRead` takes. */
const MAX_MARK_IDS = 1000;

/** A page of a user's notifications, newest first. */
export interface NotificationPage {
  items: { cursor: string; node: NotificationRecord }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/** A notification's position as an opaque cursor. */
export function encodeNotificationCursor(id: string): string {
  return Buffer.from(`notification|${id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor of `encodeNotificationCursor`; BAD_USER_INPUT (field `after`) for anything else. */
export function decodeNotificationCursor(cursor: string): string {
  const match = cursor.length <= 100 ? /^notification\|(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (!match) throw badUserInput('after', 'is not a cursor returned by this API');
  return match[1]!;
}

/**
 * The notification API of SPEC §9: a user's in-app list, unread count and marks, e-mail
 * preference, and webhooks with their delivery logs. Everything is the viewer's own.
 */
export class NotificationService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly config: NotificationsConfig,
  ) {}

  private get repo(): NotificationRepository {
    return new NotificationRepository(this.em());
  }

  async list(viewer: Viewer | null, first: number, after: string | null | undefined): Promise<NotificationPage> {
    const user = requireViewer(viewer);
    checkPageSize(first, MAX_PAGE_SIZE);
    const before = after == null ? null : decodeNotificationCursor(after);
    const repo = this.repo;
    const [rows, totalCount] = await Promise.all([repo.list(user.id, before, first + 1), repo.count(user.id)]);
    const items = rows.slice(0, first).map((node) => ({ cursor: encodeNotificationCursor(node.id), node }));
    return { items, hasNextPage: rows.length > first, endCursor: items.at(-1)?.cursor ?? null, totalCount };
  }

  unread(viewer: Viewer | null): Promise<number> {
    return this.repo.unread(requireViewer(viewer).id);
  }

  /** Marks the viewer's notifications `ids` read, or all of them when `ids` is null; returns how many changed. */
  markRead(viewer: Viewer | null, ids: string[] | null): Promise<number> {
    const user = requireViewer(viewer);
    if (ids !== null && (ids.length > MAX_MARK_IDS || ids.some((id) => !/^\d{1,18}$/.test(id)))) throw notificationErrors.badIds();
    if (ids !== null && ids.length === 0) return Promise.resolve(0);
    return this.repo.markRead(user.id, ids === null ? null : [...new Set(ids)]);
  }

  async preferences(viewer: Viewer | null): Promise<{ email: boolean }> {
    return { email: await this.repo.emailPreference(requireViewer(viewer).id) };
  }

  async updatePreferences(viewer: Viewer | null, input: { email: boolean }): Promise<{ email: boolean }> {
    return { email: await this.repo.setEmailPreference(requireViewer(viewer).id, input.email) };
  }

  webhooks(viewer: Viewer | null): Promise<WebhookRecord[]> {
    return this.repo.webhooks(requireViewer(viewer).id);
  }

  /**
   * Creates a webhook for the viewer's notifications of `events`, returning its signing secret
   * (`whsec_` + base64 of 32 random bytes) this once. A URL that is not http(s), or that resolves
   * to a loopback, private or link-local address (unless WEBHOOK_ALLOW_PRIVATE), is refused with
   * BAD_USER_INPUT and nothing is written.
   */
  async createWebhook(viewer: Viewer | null, rawUrl: string, events: NotificationKind[]): Promise<{ webhook: WebhookRecord; secret: string }> {
    const user = requireViewer(viewer);
    const url = parseWebhookUrl(rawUrl.trim());
    if (typeof url === 'string') throw notificationErrors.badUrl(url);
    const kinds = [...new Set(events)];
    if (kinds.length === 0) throw notificationErrors.noEvents();
    if (kinds.some((k) => !NOTIFICATION_KINDS.includes(k))) throw badUserInput('events', 'must be notification kinds');
    const refusal = await refuseTarget(url, this.config.webhookAllowPrivate);
    if (refusal !== null) throw notificationErrors.badUrl(refusal);
    const repo = this.repo;
    if ((await repo.countWebhooks(user.id)) >= MAX_WEBHOOKS_PER_USER) throw notificationErrors.tooManyWebhooks(MAX_WEBHOOKS_PER_USER);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const webhook = await repo.createWebhook(randomUUID(), user.id, url.toString(), kinds, secret);
    return { webhook, secret };
  }

  /** Deletes the viewer's webhook with its delivery log; NOT_FOUND when it is not theirs. */
  async deleteWebhook(viewer: Viewer | null, id: string): Promise<boolean> {
    const user = requireViewer(viewer);
    if (!isUuid(id) || !(await this.repo.deleteWebhook(user.id, id))) throw notificationErrors.webhookNotFound();
    return true;
  }

  /** The latest `first` deliveries of the viewer's webhook, newest first. */
  async deliveries(viewer: Viewer | null, webhookId: string, first: number): Promise<DeliveryRecord[]> {
    const user = requireViewer(viewer);
    checkPageSize(first, MAX_PAGE_SIZE);
    const repo = this.repo;
    if (!isUuid(webhookId) || !(await repo.ownsWebhook(user.id, webhookId))) throw notificationErrors.webhookNotFound();
    return repo.deliveries(webhookId, first);
  }
}
