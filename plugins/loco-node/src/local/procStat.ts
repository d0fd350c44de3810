import fs from 'node:fs/promises';

/**
 * Reading processes from /proc (Linux only, like the rest of the local runtime).
 * CPU times are in clock ticks; USER_HZ is 100 on every Linux architecture the
 * runtime supports (Node has no sysconf to ask).
 */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  ppid: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

export async function readProcStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return {
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return null;
  }
}

/**
 * Nanoseconds the process's threads together spent runnable but waiting for a
 * core (field 2 of /proc/<pid>/task/<tid>/schedstat), or null when unknown
 * (process gone, or a kernel without schedstats). CPU time alone cannot tell
 * an idle guest from one the host starves: both use little CPU, but only the
 * starved one waits on the run queue.
 */
export async function readRunQueueWaitNs(pid: number): Promise<number | null> {
  try {
    const tasks = await fs.readdir(`/proc/${pid}/task`);
    let total = 0;
    for (const tid of tasks) {
      const text = await fs.readFile(
        `/proc/${pid}/task/${tid}/schedstat`,
        'utf8',
      );
      const waited = Number(text.split(' ')[1]);
      if (!Number.isFinite(waited)) return null;
      total += waited;
    }
    return total;
  } catch {
    return null;
  }
}

/** Resident set size in bytes (VmRSS), or null when the process is gone. */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const text = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(text);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The argument vector of a live process, or null when it is gone or unreadable. */
export async function readCmdline(pid: number): Promise<string[] | null> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw
      .split('\0')
      .filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return null;
  }
}
