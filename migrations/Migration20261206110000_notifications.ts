import { Migration } from '@mikro-orm/migrations';

export class Migration20261206110000_notifications extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "notification_kind" as enum ('JOB_APPROVED', 'JOB_REJECTED', 'JOB_STARTED', 'JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELLED', 'QUOTA_80', 'QUOTA_100', 'JOB_AWAITING_APPROVAL', 'NODE_DOWN');`);
    this.addSql(`create type "delivery_channel" as enum ('EMAIL', 'WEBHOOK');`);
    this.addSql(`create type "delivery_status" as enum ('PENDING', 'DELIVERED', 'FAILED');`);
    this.addSql(`create table "notification_preferences" ("user_id" uuid not null, "email" boolean not null default false, constraint "notification_preferences_pkey" primary key ("user_id"));`);

    this.addSql(`create table "notifications" ("id" bigserial primary key, "tx_id" xid8 not null default pg_current_xact_id(), "user_id" uuid not null, "kind" "notification_kind" not null, "title" varchar(200) not null, "body" text not null, "job_id" uuid null, "event_key" varchar(120) not null, "created_at" timestamptz(3) not null, "read_at" timestamptz(3) null);`);
    this.addSql(`create unique index "notifications_user_event_key_idx" on "notifications" ("user_id", "event_key");`);
    this.addSql(`create index "notifications_unread_idx" on "notifications" ("user_id") where "read_at" is null;`);
    this.addSql(`create index "notifications_tx_id_id_idx" on "notifications" ("tx_id", "id");`);
    this.addSql(`create index "notifications_user_id_id_idx" on "notifications" ("user_id", "id");`);

    this.addSql(`create table "webhooks" ("id" uuid not null, "user_id" uuid not null, "url" text not null, "events" text[] not null, "secret" text not null, "created_at" timestamptz(3) not null, constraint "webhooks_pkey" primary key ("id"));`);
    this.addSql(`create index "webhooks_user_id_idx" on "webhooks" ("user_id");`);

    this.addSql(`create table "notification_deliveries" ("id" bigserial primary key, "channel" "delivery_channel" not null, "webhook_id" uuid null, "recipient" varchar(320) null, "job_id" uuid null, "kind" "notification_kind" not null, "payload" jsonb not null, "dedupe_key" varchar(200) not null, "status" "delivery_status" not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz(3) null, "last_error" text null, "delivered_at" timestamptz(3) null, "created_at" timestamptz(3) not null);`);
    this.addSql(`create index "notification_deliveries_webhook_id_id_idx" on "notification_deliveries" ("webhook_id", "id");`);
    this.addSql(`create unique index "notification_deliveries_dedupe_idx" on "notification_deliveries" ("dedupe_key");`);
    this.addSql(`create index "notification_deliveries_due_idx" on "notification_deliveries" ("next_attempt_at") where "status" = 'PENDING';`);

    this.addSql(`alter table "notification_preferences" add constraint "notification_preferences_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "notifications" add constraint "notifications_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "notifications" add constraint "notifications_job_id_foreign" foreign key ("job_id") references "jobs" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "webhooks" add constraint "webhooks_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "notification_deliveries" add constraint "notification_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "notification_deliveries" add constraint "notification_deliveries_job_id_foreign" foreign key ("job_id") references "jobs" ("id") on update cascade on delete cascade;`);

    // The producer's place in the job event stream (no entity: only notification.repository.ts
    // reads it). It starts at the events final now, so an upgrade announces no old history.
    this.addSql(`create table "notification_cursor" ("name" varchar(32) not null, "tx_id" xid8 not null, "event_id" bigint not null, constraint "notification_cursor_pkey" primary key ("name"));`);
    this.addSql(`insert into "notification_cursor" ("name", "tx_id", "event_id") values ('producer', pg_snapshot_xmin(pg_current_snapshot()), 0);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "notification_cursor" cascade;`);
    this.addSql(`drop table if exists "notification_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhooks" cascade;`);
    this.addSql(`drop table if exists "notifications" cascade;`);
    this.addSql(`drop table if exists "notification_preferences" cascade;`);
    this.addSql(`drop type "notification_kind";`);
    this.addSql(`drop type "delivery_channel";`);
    this.addSql(`drop type "delivery_status";`);
  }

}
