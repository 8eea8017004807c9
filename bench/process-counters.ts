/**
 * Counters that survive a busy machine, read around each measured round: the
 * process's CPU time (all threads), the main thread's own CPU time and its
 * time spent runnable but waiting for a core, and minor page faults (about
 * 6 µs each in this VM, so memory touched fresh every round shows here).
 */
import { readFileSync } from 'node:fs';

export interface ProcessCounters {
  /** User + system CPU time of every thread of the process, ms. */
  cpuMs: number;
  /** The main thread's CPU time, ms (NaN where /proc is missing). */
  mainCpuMs: number;
  /** The main thread's time waiting for a core while runnable, ms (NaN where /proc is missing). */
  mainWaitMs: number;
  minorFaults: number;
}

/** The main thread's scheduler statistics: run time and run-queue wait, ns (Linux). */
function mainThreadSchedstat(): [number, number] {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return [run, wait];
  } catch {
    return [NaN, NaN];
  }
}

export function readCounters(): ProcessCounters {
  const usage = process.resourceUsage();
  const [run, wait] = mainThreadSchedstat();
  return { cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, mainCpuMs: run / 1e6, mainWaitMs: wait / 1e6, minorFaults: usage.minorPageFault };
}

/** after − before, field by field. */
export function counterDelta(before: ProcessCounters, after: ProcessCounters): ProcessCounters {
  return {
    cpuMs: after.cpuMs - before.cpuMs,
    mainCpuMs: after.mainCpuMs - before.mainCpuMs,
    mainWaitMs: after.mainWaitMs - before.mainWaitMs,
    minorFaults: after.minorFaults - before.minorFaults,
  };
}
