import type { MikroORM } from '@mikro-orm/postgresql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Job } from '../modules/jobs/job.entity.js';
import { JobStatus } from '../modules/jobs/job-status.js';
import { monthOf } from '../modules/quotas/quota-math.js';
import type { PoolRecord } from '../modules/cluster/cluster.queries.js';
import type { OutboxStats } from '../modules/notifications/outbox.queries.js';

/** Operations whose labelled histogram child is kept (clients name operations as they like). */
const MAX_OPERATION_CHILDREN = 1000;

/** Live sources that gauges read at scrape time. */
export interface MetricSources {
  orm: MikroORM;
  /** The GPU pools, as `cluster` shows them. */
  pools: () => Promise<PoolRecord[]>;
  /** Open subscriptions in this process. */
  subscribers: () => number;
  /** Events relayed to this process's subscribers since start. */
  eventsRelayed: () => number;
  /** Wake-ups this process sent after commits. */
  wakeupsSent: () => number;
  /** Live API tokens of every user (read from PostgreSQL). */
  apiTokens: () => Promise<number>;
  /** Requests this process authenticated with an API token since start. */
  apiTokenRequests: () => number;
  /** The notification outbox's pending rows by channel. */
  outbox?: () => Promise<OutboxStats[]>;
}

interface JobGauges {
  jobs: Gauge<'status'>;
  pending: Gauge;
  running: Gauge;
  reserved: Gauge;
  charged: Gauge;
}

/**
 * The process's Prometheus metrics (`/metrics`). One registry per app, so several apps in one
 * process (tests) never share counters. Job and quota gauges are read from PostgreSQL when
 * scraped, so every replica reports the same cluster-wide truth.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operationDuration: Histogram<'operation' | 'type' | 'outcome'>;
  private readonly operationChildren = new Map<string, { observe(value: number): void }>();
  private readonly tickLag: Histogram;
  private readonly planDuration: Histogram;
  private readonly schedulerStarts: Counter<'gpu_type' | 'kind'>;
  private readonly schedulerLeader: Gauge;
  private readonly deliveries: Counter<'channel' | 'outcome'>;
  private readonly pruned: Counter<'table'>;
  private readonly usageExports: Counter<'detail' | 'outcome'>;
  private readonly usageExportRows: Counter<'detail'>;
  private readonly graphqlRequests: Record<'fast' | 'apollo', { inc(): void }>;

  constructor(sources: MetricSources) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: 'gpuaas_process_' });

    this.operationDuration = new Histogram({
      name: 'gpuaas_graphql_operation_duration_seconds',
      help: 'GraphQL operation latency by operation name',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    const graphqlRequests = new Counter({
      name: 'gpuaas_graphql_http_requests_total',
      help: "GraphQL requests over HTTP POST by path: fast (a validated document's plain operation, answered without Apollo's request pipeline) or apollo (everything else)",
      labelNames: ['path'],
      registers: [registry],
    });
    this.graphqlRequests = { fast: graphqlRequests.labels({ path: 'fast' }), apollo: graphqlRequests.labels({ path: 'apollo' }) };
    this.tickLag = new Histogram({
      name: 'gpuaas_worker_tick_lag_seconds',
      help: 'How late simulator ticks start against their schedule',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });

    this.planDuration = new Histogram({
      name: 'gpuaas_scheduler_plan_seconds',
      help: "Time to plan every queue (the planner alone, without the reads): the API's estimates and the scheduler's passes",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1],
      registers: [registry],
    });
    this.schedulerStarts = new Counter({
      name: 'gpuaas_scheduler_starts_total',
      help: 'Jobs the AUTO scheduler started, by GPU type and kind (queue: in queue order; backfill)',
      labelNames: ['gpu_type', 'kind'],
      registers: [registry],
    });
    this.schedulerLeader = new Gauge({
      name: 'gpuaas_scheduler_leader',
      help: 'Whether this process holds the scheduler lease (1) and so is the one scheduler that acts',
      registers: [registry],
    });
    this.schedulerLeader.set(0);
    this.usageExports = new Counter({
      name: 'gpuaas_usage_csv_exports_total',
      help: 'Usage CSV exports (GET /api/usage.csv) by detail (summary, jobs) and outcome (ok, refused, aborted: the client left, error)',
      labelNames: ['detail', 'outcome'],
      registers: [registry],
    });
    this.usageExportRows = new Counter({
      name: 'gpuaas_usage_csv_rows_total',
      help: 'Rows written by usage CSV exports, header rows left out, by detail',
      labelNames: ['detail'],
      registers: [registry],
    });

    this.pruned = new Counter({
      name: 'gpuaas_notification_rows_pruned_total',
      help: 'In-app notifications and finished outbox rows deleted past NOTIFICATION_RETENTION_DAYS, by table',
      labelNames: ['table'],
      registers: [registry],
    });
    this.deliveries = new Counter({
      name: 'gpuaas_notification_deliveries_total',
      help: 'Notifications by channel (in_app: written; email, webhook: attempts) and outcome (delivered, retry, failed)',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    });
    const outbox = sources.outbox;
    if (outbox !== undefined) {
      // One query feeds both gauges at a scrape; every process reads the same outbox.
      let reading: Promise<OutboxStats[]> | undefined;
      const read = (): Promise<OutboxStats[]> => (reading ??= outbox().finally(() => (reading = undefined)));
      new Gauge({
        name: 'gpuaas_notification_outbox_depth',
        help: 'E-mails and webhook messages not delivered yet (PENDING), by channel',
        labelNames: ['channel'],
        registers: [registry],
        aggregator: 'first',
        async collect() {
          const stats = await read();
          this.reset();
          for (const channel of ['email', 'webhook']) this.set({ channel }, stats.find((s) => s.channel === channel)?.pending ?? 0);
        },
      });
      new Gauge({
        name: 'gpuaas_notification_outbox_oldest_pending_seconds',
        help: 'Age of the oldest undelivered e-mail or webhook message, by channel (0 when none)',
        labelNames: ['channel'],
        registers: [registry],
        aggregator: 'first',
        async collect() {
          const stats = await read();
          this.reset();
          for (const channel of ['email', 'webhook']) this.set({ channel }, stats.find((s) => s.channel === channel)?.oldestSeconds ?? 0);
        },
      });
    }

    // One query feeds every job gauge; prom-client calls each gauge's collect, which share it.
    // Every process reads the same database, so a cluster's sum takes one process's values.
    let refreshing: Promise<void> | undefined;
    const refresh = (): Promise<void> =>
      (refreshing ??= this.readJobGauges(sources.orm, gauges).finally(() => (refreshing = undefined)));
    const gauges: JobGauges = {
      jobs: new Gauge({ name: 'gpuaas_jobs', help: 'Jobs by status', labelNames: ['status'], registers: [registry], collect: refresh, aggregator: 'first' }),
      pending: new Gauge({ name: 'gpuaas_jobs_pending_approval', help: 'Jobs waiting for an admin', registers: [registry], collect: refresh, aggregator: 'first' }),
      running: new Gauge({ name: 'gpuaas_jobs_running', help: 'Jobs running now', registers: [registry], collect: refresh, aggregator: 'first' }),
      reserved: new Gauge({
        name: 'gpuaas_gpu_hours_reserved',
        help: 'GPU-hours reserved by open jobs created this month (UTC)',
        registers: [registry],
        collect: refresh,
        aggregator: 'first',
      }),
      charged: new Gauge({
        name: 'gpuaas_gpu_hours_charged',
        help: 'GPU-hours charged for finished jobs created this month (UTC)',
        registers: [registry],
        collect: refresh,
        aggregator: 'first',
      }),
    };

    new Gauge({
      name: 'gpuaas_gpus',
      help: 'GPUs of the inventory by type and what they are doing: allocated, free (on UP nodes), draining (unheld on DRAINING nodes), down',
      labelNames: ['gpu_type', 'state'],
      registers: [registry],
      aggregator: 'first',
      async collect() {
        const pools = await sources.pools();
        this.reset();
        for (const p of pools) {
          this.set({ gpu_type: p.gpuType, state: 'allocated' }, p.allocatedGpus);
          this.set({ gpu_type: p.gpuType, state: 'free' }, p.freeGpus);
          this.set({ gpu_type: p.gpuType, state: 'draining' }, p.drainingGpus);
          this.set({ gpu_type: p.gpuType, state: 'down' }, p.totalGpus - p.upGpus);
        }
      },
    });
    new Gauge({
      name: 'gpuaas_queue_jobs',
      help: 'Approved jobs waiting to start, by GPU type',
      labelNames: ['gpu_type'],
      registers: [registry],
      aggregator: 'first',
      async collect() {
        const pools = await sources.pools();
        this.reset();
        for (const p of pools) this.set({ gpu_type: p.gpuType }, p.queuedJobs);
      },
    });
    new Gauge({
      name: 'gpuaas_subscribers',
      help: 'Open jobStatusChanged subscriptions in this process',
      registers: [registry],
      collect() {
        this.set(sources.subscribers());
      },
    });
    new Counter({
      name: 'gpuaas_events_published_total',
      help: "Job events relayed to this process's subscribers",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(sources.eventsRelayed());
      },
    });
    new Gauge({
      name: 'gpuaas_api_tokens',
      help: 'Live personal API tokens (neither revoked nor expired), of every user',
      registers: [registry],
      aggregator: 'first',
      async collect() {
        this.set(await sources.apiTokens());
      },
    });
    new Counter({
      name: 'gpuaas_api_token_requests_total',
      help: 'Requests and WebSocket connections authenticated with a personal API token',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(sources.apiTokenRequests());
      },
    });
    new Counter({
      name: 'gpuaas_event_wakeups_sent_total',
      help: 'Post-commit NOTIFY wake-ups sent by this process',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(sources.wakeupsSent());
      },
    });
  }

  private async readJobGauges(orm: MikroORM, g: JobGauges): Promise<void> {
    const month = monthOf(new Date());
    const rows = await orm.em.fork().getRepository(Job).statusSummary(month);
    const count = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;
    for (const status of Object.values(JobStatus)) g.jobs.set({ status }, count(status));
    g.pending.set(count(JobStatus.PENDING));
    g.running.set(count(JobStatus.RUNNING));
    g.reserved.set(rows.reduce((sum, row) => sum + row.reserved, 0));
    g.charged.set(rows.reduce((sum, row) => sum + row.charged, 0));
  }

  /** Records one GraphQL operation's duration. */
  /** Counts a GraphQL request over HTTP POST by the path that answered it. */
  countGraphQLRequest(path: 'fast' | 'apollo'): void {
    this.graphqlRequests[path].inc();
  }

  observeOperation(operation: string, type: string, outcome: 'ok' | 'error', seconds: number): void {
    // One labelled child per operation, kept: labelling an observation costs a hash of its labels.
    const key = `${operation}\u0000${type}\u0000${outcome}`;
    let child = this.operationChildren.get(key);
    if (child === undefined) {
      child = this.operationDuration.labels({ operation, type, outcome });
      if (this.operationChildren.size < MAX_OPERATION_CHILDREN) this.operationChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** Records how long one plan of the queues took. */
  observePlan(seconds: number): void {
    this.planDuration.observe(seconds);
  }

  /** Counts a start by the AUTO scheduler. */
  countSchedulerStart(gpuType: string, kind: 'queue' | 'backfill'): void {
    this.schedulerStarts.inc({ gpu_type: gpuType, kind });
  }

  /** Counts one usage CSV export by how it ended. */
  countUsageExport(detail: string, outcome: 'ok' | 'refused' | 'aborted' | 'error'): void {
    this.usageExports.inc({ detail, outcome });
  }

  /** Counts rows a usage CSV export wrote. */
  countUsageExportRows(detail: string, rows: number): void {
    this.usageExportRows.inc({ detail }, rows);
  }

  /** Whether this process now holds the scheduler lease. */
  setSchedulerLeader(leader: boolean): void {
    this.schedulerLeader.set(leader ? 1 : 0);
  }

  /** Counts notifications that reached a channel, will be retried, or were given up. */
  countDelivery(channel: string, outcome: string, count = 1): void {
    this.deliveries.inc({ channel, outcome }, count);
  }

  /** Counts rows deleted past the notifications' retention. */
  countPruned(table: string, count: number): void {
    this.pruned.inc({ table }, count);
  }

  /** Records how late a simulator tick started. */
  observeTickLag(seconds: number): void {
    this.tickLag.observe(seconds);
  }
}
