/**
 * CPU time and peak memory of server processes, read from Linux's /proc, so the bench can
 * charge each request with the CPU every process spent on it (radgate's primary and its
 * cluster workers, redis-server, freeradius), not just what the load generator sees.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/** `getconf CLK_TCK`: the unit of utime/stime in /proc/PID/stat (100 on every common Linux). */
export const CLOCK_TICKS_PER_SECOND = ((): number => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

interface StatFields {
  readonly ppid: number;
  /** utime + stime, in clock ticks: every thread of the process (redis's bio threads, FreeRADIUS's pool). */
  readonly ticks: number;
}

/**
 * proc(5): the command name (field 2) is in parentheses and may itself hold spaces or
 * ')', so fields are counted from the last ')'. After it: state (3), ppid (4), …,
 * utime (14), stime (15).
 */
function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // Gone since it was listed.
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU ticks per pid, for a set of processes. */
export function cpuTicks(pids: readonly number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat !== undefined) ticks.set(pid, stat.ticks);
  }
  return ticks;
}

/** VmHWM (peak resident set) of one process, in bytes; 0 when it is gone. */
export function peakRssBytes(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds a group of processes spends between start() and stop(). The group is
 * listed at start (a process tree, re-read so workers are included); a process that
 * appears or exits in between is counted from when it is seen, which is reported so a
 * crashed worker does not silently skew a figure.
 */
export class CpuMeter {
  private before = new Map<number, number>();

  constructor(private readonly list: () => readonly number[]) {}

  start(): void {
    this.before = cpuTicks(this.list());
  }

  /** CPU seconds since start(), and whether the set of processes changed. */
  stop(): { seconds: number; processesChanged: boolean } {
    const after = cpuTicks(this.list());
    let ticks = 0;
    let changed = after.size !== this.before.size;
    for (const [pid, end] of after) {
      const begin = this.before.get(pid);
      if (begin === undefined) changed = true;
      ticks += end - (begin ?? 0);
    }
    return { seconds: ticks / CLOCK_TICKS_PER_SECOND, processesChanged: changed };
  }

  /** Sum of the peak resident sets of the group's processes, in bytes (an upper bound on the group's peak). */
  peakRss(): number {
    return this.list().reduce((sum, pid) => sum + peakRssBytes(pid), 0);
  }
}

/**
 * CPU seconds the machine's processes have run (all cores; user + nice + system from
 * /proc/stat's first line — not irq/softirq, which no process's utime/stime includes
 * either, nor steal). The bench subtracts what its own processes used to estimate how much
 * other work ran during a run. Per-process times and these totals are sampled
 * differently, so the estimate is good to about 0.1–0.2 cores, enough to spot a run that
 * shared the machine with a test suite.
 */
export function machineBusySeconds(): number {
  const [user = 0, nice = 0, system = 0] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system) / CLOCK_TICKS_PER_SECOND;
}

/** What the table header says about the machine. */
export function describeMachine(): { cores: number; cpuModel: string; node: string; clockTicks: number } {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    clockTicks: CLOCK_TICKS_PER_SECOND,
  };
}
