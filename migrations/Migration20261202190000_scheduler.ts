import { Migration } from '@mikro-orm/migrations';

export class Migration20261202190000_scheduler extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter type "job_event_kind" add value if not exists 'PRIORITY';`);
    this.addSql(`alter table "jobs" add column "priority" int not null default 0;`);
    this.addSql(`alter table "jobs" add constraint jobs_priority_check check ((priority >= -1000) AND (priority <= 1000));`);
    this.addSql(`alter table "job_events" add column "system_actor" varchar(16) null;`);
    this.addSql(`create index "jobs_owner_finished_idx" on "jobs" ("owner_id", "finished_at" desc) where "started_at" is not null and "finished_at" is not null;`);
    this.addSql(`create index "jobs_finished_idx" on "jobs" ("finished_at" desc) where "started_at" is not null and "finished_at" is not null;`);
    this.addSql(`create table "scheduler_leases" ("name" varchar(32) not null, "holder" varchar(64) not null, "expires_at" timestamptz(3) not null, constraint "scheduler_leases_pkey" primary key ("name"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scheduler_leases" cascade;`);
    this.addSql(`drop index if exists "jobs_finished_idx";`);
    this.addSql(`drop index if exists "jobs_owner_finished_idx";`);
    this.addSql(`alter table "job_events" drop column "system_actor";`);
    this.addSql(`alter table "jobs" drop constraint jobs_priority_check;`);
    this.addSql(`alter table "jobs" drop column "priority";`);
  }

}
