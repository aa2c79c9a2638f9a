import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTime } from './date-time.js';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import {
  ClusterResolver,
  GpuAllocationResolver,
  GpuSlotResolver,
  JobAllocationResolver,
} from '../modules/cluster/cluster.resolver.js';
import { ApiTokenResolver } from '../modules/api-tokens/api-token.resolver.js';
import { JobResolver } from '../modules/jobs/job.resolver.js';
import { JobEstimateResolver, SchedulerResolver } from '../modules/scheduler/scheduler.resolver.js';
import { QuotaResolver } from '../modules/quotas/quota.resolver.js';
import { UserResolver } from '../modules/users/user.resolver.js';
import { NotificationResolver } from '../modules/notifications/notification.resolver.js';
import { UsageResolver } from '../modules/usage/usage.resolver.js';
import { authChecker } from './auth-checker.js';

/** Builds the executable schema from the resolvers. */
export function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [UserResolver, JobResolver, QuotaResolver, ClusterResolver, GpuSlotResolver, GpuAllocationResolver, JobAllocationResolver,
      SchedulerResolver, JobEstimateResolver, UsageResolver, ApiTokenResolver, NotificationResolver],
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTime }],
    validate: false,
    // Subscriptions use their own `subscribe` functions over the event relay (see events/);
    // type-graphql still insists on a pub/sub, which stays unused.
    pubSub: createPubSub(),
  });
}

/** The schema in SDL, sorted so the committed `schema.graphql` diffs cleanly. */
export async function printGraphQLSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildGraphQLSchema()))}\n`;
}
