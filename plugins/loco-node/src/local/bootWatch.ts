import { CLOCK_TICKS_PER_SECOND } from './procStat';

/** One probe of a booting instance. */
export interface BootSample {
  /** Milliseconds (any monotonic-enough clock, the same for all samples). */
  at: number;
  screenHash: string | null;
  /** QEMU's utime + stime in clock ticks, or null when unknown. */
  cpuTicks: number | null;
  /**
   * Nanoseconds QEMU's threads waited for a core (run queue), or null when
   * unknown. Counted as demand: a starved guest is not an idle one.
   */
  runQueueWaitNs?: number | null;
}

export interface BootWatchOptions {
  /** How long the guest must have been idle. */
  settleMs: number;
  /** Below this CPU use (share of one core) the guest counts as idle. */
  idleCpuFraction: number;
  /** A screen this long unchanged counts as settled even with a busy CPU. */
  stillMs: number;
}

export const DEFAULT_BOOT_WATCH: BootWatchOptions = {
  settleMs: 3000,
  idleCpuFraction: 0.3,
  stillMs: 20_000,
};

/**
 * Decides from measurements when a cold-booting guest is "up", i.e. the moment
 * worth saving as its boot snapshot: the screen has changed since power-on and
 * then the guest went idle on the CPU for `settleMs` (a guest that halts when
 * idle, like the demo with its clock on screen), or the screen stayed still for
 * `stillMs` (a guest that busy-waits at a still desktop, like Windows 98).
 * A still screen alone is not enough: kernels boot quietly for seconds.
 *
 * On a host overloaded far beyond its cores (load average 20 on 2 cores,
 * measured) a booting guest gets so little CPU that by CPU time alone it looks
 * idle, and a snapshot taken then is mid-boot: every later start from it boots
 * the kernel again. So the guest's demand is CPU time plus the time it waited
 * for a core, and a still screen counts only once the guest has had at least
 * half of `stillMs` of CPU to change it.
 */
export class BootWatch {
  private readonly samples: BootSample[] = [];
  private firstChange: number | null = null;
  private lastChange: number | null = null;

  constructor(
    private readonly options: BootWatchOptions = DEFAULT_BOOT_WATCH,
  ) {}

  add(sample: BootSample): void {
    const previous = this.samples[this.samples.length - 1];
    if (
      previous &&
      sample.screenHash !== null &&
      previous.screenHash !== null &&
      sample.screenHash !== previous.screenHash
    ) {
      this.firstChange ??= sample.at;
      this.lastChange = sample.at;
    }
    this.samples.push(sample);
    // Only the recent past matters.
    const horizon = sample.at - 4 * this.options.settleMs;
    while (this.samples.length > 2 && this.samples[1].at < horizon)
      this.samples.shift();
  }

  get screenChanged(): boolean {
    return this.firstChange !== null;
  }

  settled(): boolean {
    const last = this.samples[this.samples.length - 1];
    if (!last || this.firstChange === null || this.lastChange === null)
      return false;
    if (this.stillLongEnough(last)) return true;
    // The newest sample at least settleMs old, taken after the first change.
    const windowStart = [...this.samples]
      .reverse()
      .find(
        s =>
          s.at <= last.at - this.options.settleMs && s.at >= this.firstChange!,
      );
    if (!windowStart || windowStart.cpuTicks === null || last.cpuTicks === null)
      return false;
    const cpuMs = ticksToMs(last.cpuTicks - windowStart.cpuTicks);
    const waited = [last.runQueueWaitNs, windowStart.runQueueWaitNs];
    const waitMs =
      typeof waited[0] === 'number' && typeof waited[1] === 'number'
        ? (waited[0] - waited[1]) / 1e6
        : 0;
    return (
      (cpuMs + waitMs) / (last.at - windowStart.at) <=
      this.options.idleCpuFraction
    );
  }

  private stillLongEnough(last: BootSample): boolean {
    if (last.at - this.lastChange! < this.options.stillMs) return false;
    const atChange = this.samples.find(s => s.at >= this.lastChange!);
    // Samples older than the horizon are gone: the oldest kept one bounds the CPU.
    const since = atChange ?? this.samples[0];
    if (since.cpuTicks === null || last.cpuTicks === null) return true;
    return (
      ticksToMs(last.cpuTicks - since.cpuTicks) >=
      Math.min(this.options.stillMs, last.at - since.at) / 2
    );
  }
}

function ticksToMs(ticks: number): number {
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Whether a QEMU started with KVM actually runs the guest. On some hosts
 * (nested, paravirtual KVM) QEMU starts, then the guest hits `internal-error` or
 * silently hangs while QMP still says `running`: the screen never changes.
 */
export function kvmVerdict(
  facts: {
    qmpStatus: string | null;
    screenChanged: boolean;
    sinceStartMs: number;
  },
  timeoutMs: number,
): 'ok' | 'wait' | { fallback: string } {
  if (
    facts.qmpStatus === 'internal-error' ||
    facts.qmpStatus === 'guest-panicked'
  ) {
    return { fallback: `guest hit ${facts.qmpStatus} under KVM` };
  }
  if (facts.screenChanged) return 'ok';
  if (facts.sinceStartMs >= timeoutMs) {
    return {
      fallback: `screen did not change within ${Math.round(
        timeoutMs / 1000,
      )} s under KVM`,
    };
  }
  return 'wait';
}
