import { CLOCK_TICKS_PER_SECOND } from './procStat';

/** One probe of a booting instance. */
export interface BootSample {
  /** Milliseconds (any monotonic-enough clock, the same for all samples). */
  at: number;
  screenHash: string | null;
  /** QEMU's utime + stime in clock ticks, or null when unknown. */
  cpuTicks: number | null;
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
 * Caveat, measured: on a host overloaded far beyond its cores (load average
 * 30 on 2 cores) a booting guest gets so little CPU that it looks idle, so the
 * snapshot may be taken mid-boot; starts from it then finish the boot first.
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
    if (last.at - this.lastChange >= this.options.stillMs) return true;
    // The newest sample at least settleMs old, taken after the first change.
    const windowStart = [...this.samples]
      .reverse()
      .find(
        s =>
          s.at <= last.at - this.options.settleMs && s.at >= this.firstChange!,
      );
    if (!windowStart || windowStart.cpuTicks === null || last.cpuTicks === null)
      return false;
    const cpuMs =
      ((last.cpuTicks - windowStart.cpuTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
    return cpuMs / (last.at - windowStart.at) <= this.options.idleCpuFraction;
  }
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
