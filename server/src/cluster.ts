/**
 * Several API processes on one machine (API_PROCESSES): one JavaScript thread serves about one
 * core, so a machine with more cores runs one process per core behind one port. The primary
 * process only supervises: it applies migrations, forks the API processes (node:cluster, whose
 * primary accepts connections and hands them out in turn), restarts one that dies, stops them
 * all on SIGTERM, and sums their metrics up for whichever of them a scraper reaches.
 *
 * Each API process is a whole gpuaas process of its own (`startApp`): its own pools, relay and
 * subscribers, exactly like replicas behind a load balancer, which the design already supports
 * (events reach every process through PostgreSQL). With role `all`, the first one also runs the
 * simulator, so a single `npm start` still does everything.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { CLUSTER_INDEX_VAR, CLUSTER_ROLE_VAR, readClusterMemberEnv, type ClusterMemberEnv, type ProcessRole } from './config.js';
import type { Logger } from './logger.js';

const METRICS_REQUEST = 'gpuaas:metrics-request';
const METRICS_ANSWER = 'gpuaas:metrics-answer';
const METRICS_TIMEOUT_MS = 5000;

/** Restarts allowed within RESTART_WINDOW_MS before the primary gives up and exits. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1000;

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** This process's place in a cluster, when the primary started it. */
export function clusterMember(): ClusterMemberEnv | null {
  return cluster.isWorker ? readClusterMemberEnv() : null;
}

/**
 * For an API process in a cluster: offers its metrics to the primary and returns how to read
 * the whole cluster's, summed (job gauges, which every process reads from the same database,
 * are taken once).
 */
export function joinClusterMetrics(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's answer to the primary's collection requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const waiting = new Map<number, (answer: MetricsAnswer) => void>();
  process.on('message', (message: MetricsAnswer) => {
    if (message?.type === METRICS_ANSWER) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the cluster did not answer for its metrics'));
      }, METRICS_TIMEOUT_MS);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'no metrics'));
      });
      process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}

export interface ClusterOptions {
  processes: number;
  /** `all` or `api`: with `all`, the first process also runs the simulator. */
  role: ProcessRole;
  /** The database every process uses (the embedded one's URL when the primary started it). */
  databaseUrl: string;
  log: Logger;
  /** Called when processes keep dying and the primary gives up. */
  onGiveUp: () => void;
}

/** The primary's side: a running group of API processes. */
export interface ApiCluster {
  /** Asks every process to stop (SIGTERM) and waits until all have exited. */
  stop(): Promise<void>;
}

export function startCluster(options: ClusterOptions): ApiCluster {
  const { processes, log } = options;
  const aggregator = new AggregatorRegistry();
  const members = new Map<number, Worker>();
  const restarts: number[] = [];
  let stopping = false;

  const fork = (index: number) => {
    const role: ProcessRole = index === 0 ? options.role : 'api';
    const member = cluster.fork({ [CLUSTER_ROLE_VAR]: role, [CLUSTER_INDEX_VAR]: String(index), DATABASE_URL: options.databaseUrl });
    members.set(index, member);
    member.on('message', (message: MetricsRequest) => {
      if (message?.type !== METRICS_REQUEST) return;
      const answer = (body: Omit<MetricsAnswer, 'type' | 'id'>) => {
        if (member.isConnected()) member.send({ type: METRICS_ANSWER, id: message.id, ...body } satisfies MetricsAnswer);
      };
      aggregator.clusterMetrics().then((text) => answer({ text }), (error: Error) => answer({ error: error.message }));
    });
    member.on('exit', (code, signal) => {
      if (members.get(index) === member) members.delete(index);
      if (stopping) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
      if (restarts.length > MAX_RESTARTS) {
        log.fatal({ index, code, signal }, `API processes exited ${restarts.length} times within a minute; giving up`);
        options.onGiveUp();
        return;
      }
      log.error({ index, code, signal }, 'An API process exited; starting another');
      // Not unref'd: while its replacement is pending, this timer keeps the supervisor alive.
      setTimeout(() => {
        if (!stopping) fork(index);
      }, RESTART_DELAY_MS);
    });
  };

  for (let index = 0; index < processes; index++) fork(index);
  log.info({ processes }, 'API processes started');

  return {
    async stop() {
      stopping = true;
      const exits = [...members.values()].map(
        (member) =>
          new Promise<void>((resolve) => {
            if (member.isDead()) return resolve();
            member.once('exit', () => resolve());
            member.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
    },
  };
}
