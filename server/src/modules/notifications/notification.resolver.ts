import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { AppError, ErrorCode } from '../../errors/app-error.js';
import { requireViewer } from '../auth/viewer.js';
import { JobType } from '../jobs/job.type.js';
import { NotificationKind } from './notification-kind.js';
import type { NotificationRecord } from './notification.repository.js';
import {
  NotificationConnectionType,
  NotificationPreferencesInput,
  NotificationPreferencesType,
  NotificationType,
  WebhookCreatedType,
  WebhookDeliveryType,
  WebhookType,
} from './notification.type.js';

@Resolver(() => NotificationType)
export class NotificationResolver {
  @Authorized()
  @Query(() => NotificationConnectionType, { description: 'Your notifications, newest first' })
  async notifications(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<NotificationConnectionType> {
    return NotificationConnectionType.from(await ctx.services.notifications.list(ctx.viewer, first, after));
  }

  @Authorized()
  @Query(() => Int, { description: 'How many of your notifications are unread' })
  unreadNotifications(@Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.notifications.unread(ctx.viewer);
  }

  @Authorized()
  @Mutation(() => Int, { description: 'Marks your notifications read: these ids, or all when none are given; returns how many changed' })
  markNotificationsRead(
    @Ctx() ctx: GraphQLContext,
    @Arg('ids', () => [ID], { nullable: true }) ids: string[] | null,
  ): Promise<number> {
    return ctx.services.notifications.markRead(ctx.viewer, ids ?? null);
  }

  @Authorized()
  @Query(() => NotificationPreferencesType, { description: 'How you want to be notified besides the app' })
  notificationPreferences(@Ctx() ctx: GraphQLContext): Promise<NotificationPreferencesType> {
    return ctx.services.notifications.preferences(ctx.viewer);
  }

  @Authorized()
  @Mutation(() => NotificationPreferencesType, { description: 'Turns e-mail notifications on or off' })
  updateNotificationPreferences(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => NotificationPreferencesInput) input: NotificationPreferencesInput,
  ): Promise<NotificationPreferencesType> {
    return ctx.services.notifications.updatePreferences(ctx.viewer, { email: input.email });
  }

  @Authorized()
  @Query(() => [WebhookType], { description: 'Your webhooks' })
  async webhooks(@Ctx() ctx: GraphQLContext): Promise<WebhookType[]> {
    return (await ctx.services.notifications.webhooks(ctx.viewer)).map((w) => WebhookType.from(w));
  }

  @Authorized()
  @Query(() => [WebhookDeliveryType], { description: "One of your webhooks' latest deliveries, newest first" })
  async webhookDeliveries(
    @Ctx() ctx: GraphQLContext,
    @Arg('webhookId', () => ID) webhookId: string,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
  ): Promise<WebhookDeliveryType[]> {
    return (await ctx.services.notifications.deliveries(ctx.viewer, webhookId, first)).map((d) => WebhookDeliveryType.from(d));
  }

  @Authorized()
  @Mutation(() => WebhookCreatedType, {
    description: 'Sends your notifications of these kinds to a URL (an admin’s: every job’s events); returns the signing secret this once',
  })
  async createWebhook(
    @Ctx() ctx: GraphQLContext,
    @Arg('url', () => String) url: string,
    @Arg('events', () => [NotificationKind]) events: NotificationKind[],
  ): Promise<WebhookCreatedType> {
    const { webhook, secret } = await ctx.services.notifications.createWebhook(ctx.viewer, url, events);
    return { webhook: WebhookType.from(webhook), secret };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Deletes one of your webhooks and its delivery log' })
  deleteWebhook(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.notifications.deleteWebhook(ctx.viewer, id);
  }

  @FieldResolver(() => JobType, { nullable: true, description: 'The job it is about' })
  async job(@Root() notification: NotificationType, @Ctx() ctx: GraphQLContext): Promise<JobType | null> {
    if (notification.jobId === null) return null;
    try {
      return JobType.from(await ctx.services.jobs.get(ctx.viewer, notification.jobId));
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }

  @Subscription(() => NotificationType, {
    description: 'Each new notification of yours, as it is committed',
    subscribe: ({ context }) => {
      const ctx = context as GraphQLContext;
      return ctx.notifications.subscribe(requireViewer(ctx.viewer).id);
    },
  })
  notificationReceived(@Root() notification: NotificationRecord): NotificationType {
    return NotificationType.from(notification);
  }
}
