/**
 * A closed-loop load driver: `clients` concurrent loops, each sending its next operation as soon
 * as the previous one answered, for a warm-up and then a measured window. Throughput counts the
 * operations that completed inside the window; latency is theirs.
 */
import { CpuMeter, type CpuUse } from './proc-stats.js';
import { Samples } from './stats.js';

/** What one measured window gave. */
export interface LoadResult {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError: string | undefined;
  /** CPU use during the window. */
  cpu: CpuUse;
}

export interface LoadOptions {
  clients: number;
  warmupMs: number;
  durationMs: number;
  /** Processes whose CPU use is measured during the window, the server under test first. */
  watchPids?: number[];
  /** One operation of client number `client` (0-based). */
  op: (client: number) => Promise<unknown>;
}

export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const { clients, warmupMs, durationMs, op } = options;
  const from = performance.now() + warmupMs;
  const to = from + durationMs;
  const latencies = new Samples();
  let errors = 0;
  let firstError: string | undefined;
  let meter: CpuMeter | undefined;
  const nothing = Number.NaN;
  let cpu: CpuUse = { process: nothing, watched: [], self: nothing, postgres: nothing, other: nothing, machine: nothing };
  const startMeter = setTimeout(() => (meter = CpuMeter.start(...(options.watchPids ?? []))), warmupMs);
  const stopMeter = setTimeout(() => (cpu = meter?.stop() ?? cpu), warmupMs + durationMs);

  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < to) {
        const started = performance.now();
        try {
          await op(client);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
        const ended = performance.now();
        if (ended >= from && ended <= to) latencies.push(ended - started);
      }
    }),
  );
  clearTimeout(startMeter);
  clearTimeout(stopMeter);
  if (Number.isNaN(cpu.machine) && meter) cpu = meter.stop();
  return {
    opsPerSecond: latencies.length / (durationMs / 1000),
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    errors,
    firstError,
    cpu,
  };
}
