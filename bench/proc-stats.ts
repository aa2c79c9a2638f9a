/**
 * What Linux's /proc says about a process and the machine: resident memory, CPU time used, and
 * how busy all cores were over an interval. Benchmarks use them to tell which resource limits a
 * figure (the API process's one thread, or the whole machine).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's resident set size in bytes (VmRSS), or NaN when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : Number.NaN;
}

/**
 * CPU seconds of a process and everything under it: the API's own processes when it runs
 * several (API_PROCESSES), including children that ended and were waited for.
 */
function treeCpuSeconds(pid: number): number {
  const own = cpuSeconds(pid);
  if (Number.isNaN(own)) return own;
  const below = descendants(pid).reduce((sum, p) => sum + (cpuSeconds(p.pid) || 0), 0);
  return own + below + (endedChildrenCpuSeconds(pid) || 0);
}

/** CPU seconds of a process's children that have ended and been waited for (cutime + cstime). */
function endedChildrenCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS : Number.NaN;
}

/** Busy and total jiffies of all cores together. */
function machineJiffies(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * The embedded PostgreSQL's processes when this process started it (none with DATABASE_URL):
 * the postmaster and its backends and workers.
 */
function postgresProcesses(): { postmaster: number | undefined; all: number[] } {
  const found = descendants(process.pid);
  const postmaster = found.find((p) => /\/postgres$/.test(p.command.split(' ')[0]!));
  return { postmaster: postmaster?.pid, all: found.filter((p) => p.pid === postmaster?.pid || p.command.startsWith('postgres:')).map((p) => p.pid) };
}

/**
 * PostgreSQL's CPU seconds so far, by process, plus what its ended processes used: the
 * postmaster reaps short-lived ones (parallel query workers, closed connections), and their
 * time accrues to its children's total.
 */
function postgresCpu(): { byPid: Map<number, number>; ended: number } | undefined {
  const { postmaster, all } = postgresProcesses();
  if (postmaster === undefined) return undefined;
  return { byPid: new Map(all.map((pid) => [pid, cpuSeconds(pid)])), ended: endedChildrenCpuSeconds(postmaster) };
}

/** Where the machine's CPU went over a window, in cores (1 = one core busy the whole window). */
export interface CpuUse {
  /** The first watched process (the server under test) with its children; NaN when none was watched. */
  process: number;
  /** Every watched process, in the order given. */
  watched: number[];
  /** This process: the load generator. */
  self: number;
  /** The embedded PostgreSQL's processes (NaN with DATABASE_URL). */
  postgres: number;
  /** Everything else on the machine (other work running meanwhile skews the figures). */
  other: number;
  /** Fraction of all cores that were busy. */
  machine: number;
}

/** CPU use over an interval: `start()`, do the work, then read the result from `stop()`. */
export class CpuMeter {
  private readonly startedAt = performance.now();
  private readonly machineStart = machineJiffies();
  private readonly selfStart = process.cpuUsage();
  private readonly processStart: number[];
  private readonly postgresStart = postgresCpu();

  private constructor(private readonly pids: number[]) {
    this.processStart = pids.map(treeCpuSeconds);
  }

  /** Starts measuring the machine, this process, the embedded PostgreSQL and the processes `pids`. */
  static start(...pids: number[]): CpuMeter {
    return new CpuMeter(pids);
  }

  stop(): CpuUse {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const m = machineJiffies();
    const self = process.cpuUsage(this.selfStart);
    const machine = (m.busy - this.machineStart.busy) / Math.max(1, m.total - this.machineStart.total);
    const watched = this.pids.map((pid, i) => (treeCpuSeconds(pid) - this.processStart[i]!) / seconds);
    let postgres = Number.NaN;
    const pgNow = postgresCpu();
    if (this.postgresStart && pgNow) {
      // Processes started during the window count whole; ended ones through the postmaster,
      // less what they had used before the window.
      let used = pgNow.ended - this.postgresStart.ended;
      for (const [pid, now] of pgNow.byPid) if (!Number.isNaN(now)) used += now - (this.postgresStart.byPid.get(pid) || 0);
      for (const [pid, before] of this.postgresStart.byPid) if (!pgNow.byPid.has(pid) && !Number.isNaN(before)) used -= before;
      postgres = used / seconds;
    }
    const selfCores = (self.user + self.system) / 1e6 / seconds;
    const known = watched.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0) + selfCores + (Number.isNaN(postgres) ? 0 : postgres);
    return {
      process: watched[0] ?? Number.NaN,
      watched,
      self: selfCores,
      postgres,
      machine,
      other: Math.max(0, machine * os.cpus().length - known),
    };
  }
}

/**
 * The most open files a child may have: the hard limit of `ulimit -n`, which `raisedFileLimit`
 * lifts the children's soft limit to. Every subscriber is a socket in two processes.
 */
export function openFileLimit(): number {
  try {
    const match = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** A command line that runs `command` with its open-file limit raised to the hard limit first. */
export function raisedFileLimit(command: string, args: string[]): [string, string[]] {
  return ['/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', command, ...args]];
}

/** The processes descended from `pid` (children, grandchildren, …), with their command lines. */
export function descendants(pid: number): { pid: number; command: string }[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: { pid: number; command: string }[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      let command: string;
      try {
        command = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        continue;
      }
      found.push({ pid: child, command });
      walk(child);
    }
  };
  walk(pid);
  return found;
}
