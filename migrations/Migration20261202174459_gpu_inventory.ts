import { Migration } from '@mikro-orm/migrations';

export class Migration20261202174459_gpu_inventory extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "gpu_node_state" as enum ('UP', 'DRAINING', 'DOWN');`);
    this.addSql(`create table "gpu_nodes" ("id" uuid not null, "name" varchar(63) not null, "gpu_type" varchar(32) not null, "gpu_count" int not null, "state" "gpu_node_state" not null default 'UP', "created_at" timestamptz(3) not null, "removed_at" timestamptz(3) null, constraint "gpu_nodes_pkey" primary key ("id"), constraint gpu_nodes_name_check check (name ~ '^[a-z0-9-]{1,63}\$'), constraint gpu_nodes_gpu_count_check check ((gpu_count >= 1) AND (gpu_count <= 64)));`);
    this.addSql(`create index "gpu_nodes_gpu_type_idx" on "gpu_nodes" ("gpu_type");`);
    this.addSql(`create unique index "gpu_nodes_live_name_idx" on "gpu_nodes" ("name") where "removed_at" is null;`);

    this.addSql(`create table "gpu_allocations" ("job_id" uuid not null, "gpu_index" smallint not null, "node_id" uuid not null, "allocated_at" timestamptz(3) not null, "released_at" timestamptz(3) null, constraint "gpu_allocations_pkey" primary key ("job_id", "gpu_index"));`);
    this.addSql(`create index "gpu_allocations_released_until_idx" on "gpu_allocations" ((coalesce("released_at", 'infinity'::timestamptz)));`);
    this.addSql(`create index "gpu_allocations_allocated_at_idx" on "gpu_allocations" ("allocated_at");`);
    this.addSql(`create unique index "gpu_allocations_held_idx" on "gpu_allocations" ("node_id", "gpu_index") where "released_at" is null;`);

    this.addSql(`alter table "gpu_allocations" add constraint "gpu_allocations_job_id_foreign" foreign key ("job_id") references "jobs" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "gpu_allocations" add constraint "gpu_allocations_node_id_foreign" foreign key ("node_id") references "gpu_nodes" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "gpu_allocations" drop constraint "gpu_allocations_node_id_foreign";`);

    this.addSql(`drop table if exists "gpu_nodes" cascade;`);

    this.addSql(`drop table if exists "gpu_allocations" cascade;`);

    this.addSql(`drop type "gpu_node_state";`);
  }

}
