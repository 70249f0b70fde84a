import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface RunResult {
  ok: number;
  failed: number;
  /** Failure reason → how often. */
  errors: Map<string, number>;
  /** One entry per completed operation, ok or not. */
  latenciesUs: Float64Array;
  /** From the first start to the last completion (includes draining the operations in flight at the end). */
  elapsedMs: number;
}

/** 'ok', or a short reason for a failure. */
export type Operation = (worker: number, seq: number) => Promise<string>;

/**
 * Runs `concurrency` closed loops of `op` for `seconds` (no new operation starts after that) or until
 * `maxCount` operations started, whichever comes first.
 */
export async function drive(concurrency: number, seconds: number, maxCount: number, op: Operation): Promise<RunResult> {
  const latencies = new Float64Array(Math.min(maxCount, 5_000_000));
  const errors = new Map<string, number>();
  let started = 0;
  let done = 0;
  let ok = 0;
  const t0 = performance.now();
  const stopAt = t0 + seconds * 1000;
  const loop = async (worker: number) => {
    for (let seq = 0; performance.now() < stopAt && started < maxCount; seq++) {
      started++;
      const begin = performance.now();
      const outcome = await op(worker, seq).catch((e: Error) => e.message || String(e));
      latencies[done++] = (performance.now() - begin) * 1000;
      if (outcome === 'ok') ok++;
      else errors.set(outcome, (errors.get(outcome) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => loop(w)));
  return { ok, failed: done - ok, errors, latenciesUs: latencies.slice(0, done).sort(), elapsedMs: performance.now() - t0 };
}

/** Nearest-rank percentile of sorted values; p = 100 gives the maximum. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface CpuSnapshot {
  at: number;
  machine: number[];
  pid?: number;
  process: number;
  backends: Map<number, number>;
  self: NodeJS.CpuUsage;
}

/** Cores used on average over an interval (1.0 = one core fully busy). */
export interface CpuUsage {
  cores: number;
  busy: number;
  iowait: number;
  process: number;
  /** The PostgreSQL backends named at the start. */
  backends: number;
  self: number;
}

const TICK_S = 0.01; // USER_HZ is 100 on Linux

/** Linux only (/proc); elsewhere the figures come out as zero. */
export function cpuSnapshot(pid?: number, backends: number[] = []): CpuSnapshot {
  return {
    at: performance.now(),
    machine: machineTicks(),
    pid,
    process: pid ? processTicks(pid) : 0,
    backends: new Map(backends.map((b) => [b, processTicks(b)])),
    self: process.cpuUsage(),
  };
}

export function cpuUsageSince(s: CpuSnapshot): CpuUsage {
  const seconds = (performance.now() - s.at) / 1000;
  const m = machineTicks().map((v, i) => v - (s.machine[i] ?? 0));
  // /proc/stat cpu: user nice system idle iowait irq softirq steal
  const busy = m.length ? m[0] + m[1] + m[2] + m[5] + m[6] + m[7] : 0;
  const self = process.cpuUsage(s.self);
  return {
    cores: cpus().length,
    busy: (busy * TICK_S) / seconds,
    iowait: ((m[4] ?? 0) * TICK_S) / seconds,
    process: s.pid ? ((processTicks(s.pid) - s.process) * TICK_S) / seconds : 0,
    backends: ([...s.backends].reduce((sum, [b, t0]) => sum + Math.max(0, processTicks(b) - t0), 0) * TICK_S) / seconds,
    self: (self.user + self.system) / 1e6 / seconds,
  };
}

function machineTicks(): number[] {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}

function processTicks(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
