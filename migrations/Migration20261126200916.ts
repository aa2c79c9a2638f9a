import { Migration } from '@mikro-orm/migrations';

export class Migration20261126200916 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "user_role" as enum ('USER', 'ADMIN');`);
    this.addSql(`create type "job_status" as enum ('PENDING', 'APPROVED', 'REJECTED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');`);
    this.addSql(`create type "sim_outcome" as enum ('COMPLETED', 'FAILED');`);
    this.addSql(`create type "job_event_kind" as enum ('CREATED', 'TRANSITION', 'PROGRESS');`);
    this.addSql(`create table "auth_attempts" ("id" bigserial primary key, "key" varchar(300) not null, "at" timestamptz(3) not null);`);
    this.addSql(`create index "auth_attempts_key_at_idx" on "auth_attempts" ("key", "at");`);

    this.addSql(`create table "settings" ("key" varchar(64) not null, "value" text not null, constraint "settings_pkey" primary key ("key"));`);

    this.addSql(`create table "users" ("id" uuid not null, "email" varchar(254) not null, "password_hash" varchar(100) not null, "role" "user_role" not null default 'USER', "monthly_gpu_hours_limit" numeric(12,4) null, "token_version" int not null default 0, "created_at" timestamptz(3) not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "jobs" ("id" uuid not null, "seq" bigserial, "owner_id" uuid not null, "name" varchar(120) not null, "gpu_type" varchar(32) not null, "gpu_count" int not null, "hours" numeric(10,4) not null, "gpu_hours" numeric(12,4) not null, "quota_month" varchar(7) not null, "status" "job_status" not null default 'PENDING', "progress" smallint not null default 0, "status_reason" text null, "charged_gpu_hours" numeric(12,4) null, "created_at" timestamptz(3) not null, "approved_at" timestamptz(3) null, "started_at" timestamptz(3) null, "finished_at" timestamptz(3) null, "sim_outcome" "sim_outcome" null, "sim_run_hours" numeric(10,4) null, "sim_fail_reason" text null, "sim_hours_done" numeric(10,4) null, "sim_advanced_at" timestamptz(3) null, "lease_owner" varchar(64) null, "lease_expires_at" timestamptz(3) null, constraint "jobs_pkey" primary key ("id"), constraint jobs_progress_check check ((progress >= 0) AND (progress <= 100)), constraint jobs_hours_check check (hours > 0), constraint jobs_gpu_count_check check (gpu_count >= 1));`);
    this.addSql(`alter table "jobs" add constraint "jobs_seq_unique" unique ("seq");`);
    this.addSql(`create index "jobs_running_lease_idx" on "jobs" ("lease_expires_at") where "status" = 'RUNNING';`);
    this.addSql(`create index "jobs_status_created_at_idx" on "jobs" ("status", "created_at");`);
    this.addSql(`create index "jobs_owner_created_at_id_idx" on "jobs" ("owner_id", "created_at", "id");`);
    this.addSql(`create index "jobs_created_at_id_idx" on "jobs" ("created_at", "id");`);

    this.addSql(`create table "job_events" ("id" bigserial primary key, "tx_id" xid8 not null default pg_current_xact_id(), "job_id" uuid not null, "kind" "job_event_kind" not null, "from_status" "job_status" null, "to_status" "job_status" not null, "progress" smallint not null, "actor_id" uuid null, "reason" text null, "at" timestamptz(3) not null);`);
    this.addSql(`create index "job_events_tx_id_id_idx" on "job_events" ("tx_id", "id");`);
    this.addSql(`create index "job_events_job_id_id_idx" on "job_events" ("job_id", "id");`);

    this.addSql(`create table "user_quotas" ("user_id" uuid not null, "month" varchar(7) not null, "limit_gpu_hours" numeric(12,4) not null, "used_gpu_hours" numeric(12,4) not null, constraint "user_quotas_pkey" primary key ("user_id", "month"), constraint user_quotas_limit_check check (limit_gpu_hours >= 0), constraint user_quotas_used_check check (used_gpu_hours >= 0));`);

    this.addSql(`alter table "jobs" add constraint "jobs_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "job_events" add constraint "job_events_job_id_foreign" foreign key ("job_id") references "jobs" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "job_events" add constraint "job_events_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "user_quotas" add constraint "user_quotas_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
  }

}
