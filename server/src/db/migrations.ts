import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126200916 } from '../../../migrations/Migration20261126200916.js';
import { Migration20261202174459_gpu_inventory } from '../../../migrations/Migration20261202174459_gpu_inventory.js';
import { Migration20261202190000_scheduler } from '../../../migrations/Migration20261202190000_scheduler.js';
import { Migration20261206100000_usage } from '../../../migrations/Migration20261206100000_usage.js';
import { Migration20261206110000_notifications } from '../../../migrations/Migration20261206110000_notifications.js';
import { Migration20261206120000_api_tokens } from '../../../migrations/Migration20261206120000_api_tokens.js';

/**
 * Every migration, in order. Listed statically so the same code runs from TypeScript sources
 * (tests, dev) and from the compiled build. A test checks that every file in `migrations/` is here.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261126200916', class: Migration20261126200916 },
  { name: 'Migration20261202174459_gpu_inventory', class: Migration20261202174459_gpu_inventory },
  { name: 'Migration20261202190000_scheduler', class: Migration20261202190000_scheduler },
  { name: 'Migration20261206100000_usage', class: Migration20261206100000_usage },
  { name: 'Migration20261206110000_notifications', class: Migration20261206110000_notifications },
  { name: 'Migration20261206120000_api_tokens', class: Migration20261206120000_api_tokens },
];
