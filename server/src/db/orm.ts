import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { ApiToken } from '../modules/api-tokens/api-token.entity.js';
import { AuthAttempt } from '../modules/auth/auth-attempt.entity.js';
import { GpuAllocation } from '../modules/cluster/gpu-allocation.entity.js';
import { GpuNode } from '../modules/cluster/gpu-node.entity.js';
import { JobEvent } from '../modules/jobs/job-event.entity.js';
import { Job } from '../modules/jobs/job.entity.js';
import { UserQuota } from '../modules/quotas/user-quota.entity.js';
import { Setting } from '../modules/settings/setting.entity.js';
import { User } from '../modules/users/user.entity.js';
import { Notification } from '../modules/notifications/notification.entity.js';
import { NotificationDelivery } from '../modules/notifications/notification-delivery.entity.js';
import { NotificationPreference } from '../modules/notifications/notification-preference.entity.js';
import { Webhook } from '../modules/notifications/webhook.entity.js';
import { MIGRATIONS_DIR } from '../paths.js';
import { migrationsList } from './migrations.js';
import { releaseIdleAsyncContexts } from './async-context.js';


export const ENTITIES = [User, Job, JobEvent, UserQuota, Setting, AuthAttempt, GpuNode, GpuAllocation, ApiToken,
  Notification, NotificationDelivery, NotificationPreference, Webhook];

/** MikroORM's options for a database URL. No global context: every unit of work forks. */
export function ormOptions(
  clientUrl: string,
  poolMax = 10,
  log: (message: string) => void = () => {},
  /**
   * Whether migrating rewrites `migrations/.snapshot-gpuaas.json`: only when creating migrations
   * (the CLI's config). A running server never writes into the source tree, which may be
   * read-only, and whose newer file would make `npm start` rebuild the server each time.
   */
  { writeSnapshot = false }: { writeSnapshot?: boolean } = {},
): Options {
  return defineConfig({
    clientUrl,
    logger: log,
    entities: ENTITIES,
    extensions: [Migrator],
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      migrationsList,
      snapshot: writeSnapshot,
      snapshotName: '.snapshot-gpuaas',
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      fileName: (timestamp, name) => `Migration${timestamp}${name ? `_${name}` : ''}`,
    },
    discovery: { warnWhenNoEntities: true },
  });
}

/**
 * Connects to PostgreSQL. Also turns Node's async-context hooks off whenever no ORM transaction
 * or flush is open (`async-context.ts`), as they would otherwise stay on after the first one.
 */
export function openOrm(clientUrl: string, log?: (message: string) => void): Promise<MikroORM> {
  releaseIdleAsyncContexts();
  return MikroORM.init(ormOptions(clientUrl, 10, log));
}

/** Applies every pending migration; safe to run from several processes at once (it takes an advisory lock). */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const conn = orm.em.getConnection();
  // Two processes starting together must not both apply the same migration.
  const knex = conn.getKnex();
  return knex.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext('gpuaas:migrate'))");
    const done = await orm.migrator.up();
    return done.map((m) => m.name);
  });
}

/** Whether the database is reachable and has no pending migration. */
export async function isReady(orm: MikroORM): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return (await orm.migrator.getPendingMigrations()).length === 0;
  } catch {
    return false;
  }
}
