import { Migration } from '@mikro-orm/migrations';

export class Migration20261206100000_usage extends Migration {

  override async up(): Promise<void> {
    // Existing jobs were priced at weight 1, which is what they reserved and were charged.
    this.addSql(`alter table "jobs" add column "billing_weight" numeric(8,4) not null default 1;`);
    this.addSql(`alter table "jobs" add constraint jobs_billing_weight_check check (billing_weight > 0);`);
    this.addSql(`create index "jobs_usage_idx" on "jobs" ("quota_month", "owner_id", "gpu_type") include ("status", "gpu_hours", "charged_gpu_hours");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "jobs_usage_idx";`);
    this.addSql(`alter table "jobs" drop constraint jobs_billing_weight_check;`);
    this.addSql(`alter table "jobs" drop column "billing_weight";`);
  }

}
