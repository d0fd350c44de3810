import { BootWatch, kvmVerdict } from './bootWatch';
import { CLOCK_TICKS_PER_SECOND } from './procStat';

/**
 * A cold boot that has not settled after this much of QEMU's CPU time is
 * snapshotted anyway and gives its cold-boot slot back: the guest had every
 * chance to boot (the demo boots in about 9 s of CPU) and never went idle.
 * CPU time, not wall time: on a starved host a wall-clock limit fired while
 * the guest was still decompressing its kernel, and every start from that
 * snapshot booted the kernel again.
 */
export const MAX_BOOT_WATCH_CPU_MS = 60_000;
/** The wall-clock bound all the same, so a host starved for minutes frees the slot. */
export const MAX_BOOT_WATCH_MS = 300_000;

/** What the instance must do after a probe of a starting QEMU. */
export type StartupStep =
  | { kind: 'wait' }
  | { kind: 'kvm-unusable'; reason: string }
  /** A cold boot is up (or overdue): save the boot snapshot now. */
  | { kind: 'booted'; settled: boolean }
  | { kind: 'started' };

export interface StartupSample {
  at: number;
  qmpStatus: string | null;
  screenHash: string | null;
  screenChanged: boolean;
  cpuTicks: number | null;
  /** Nanoseconds QEMU waited for a core, or null when unknown (see BootWatch). */
  runQueueWaitNs?: number | null;
}

/**
 * Decides, probe by probe, when a start is over: KVM proven to run the guest
 * (or given up), and for a cold boot the moment the guest is up, which is the
 * moment worth saving as its boot snapshot. Pure logic over measurements.
 */
export class StartupCheck {
  private bootWatch?: BootWatch;
  private firstCpuTicks: number | null = null;
  private kvmVerified: boolean;
  private done = false;

  constructor(
    private readonly o: {
      accel: 'tcg' | 'kvm';
      coldBoot: boolean;
      startedAt: number;
      kvmTimeoutMs: number;
    },
  ) {
    this.bootWatch = o.coldBoot ? new BootWatch() : undefined;
    this.kvmVerified = o.accel === 'tcg';
  }

  /** True until the start is over: the instance probes more often meanwhile. */
  /** KVM ran the guest (always true on TCG). */
  get kvmProven(): boolean {
    return this.kvmVerified;
  }

  get starting(): boolean {
    return !this.done;
  }

  /** Whether the cold boot still needs CPU figures (read from /proc). */
  get watchingBoot(): boolean {
    return this.bootWatch !== undefined;
  }

  next(sample: StartupSample): StartupStep {
    if (this.done) return { kind: 'started' };
    if (!this.kvmVerified) {
      const verdict = kvmVerdict(
        {
          qmpStatus: sample.qmpStatus,
          screenChanged: sample.screenChanged,
          sinceStartMs: sample.at - this.o.startedAt,
        },
        this.o.kvmTimeoutMs,
      );
      if (verdict === 'ok') this.kvmVerified = true;
      else if (verdict !== 'wait')
        return { kind: 'kvm-unusable', reason: verdict.fallback };
    }
    let step: StartupStep = { kind: 'wait' };
    if (this.bootWatch) {
      this.bootWatch.add({
        at: sample.at,
        screenHash: sample.screenHash,
        cpuTicks: sample.cpuTicks,
        runQueueWaitNs: sample.runQueueWaitNs,
      });
      const overdue =
        this.bootWatch.screenChanged &&
        (sample.at - this.o.startedAt > MAX_BOOT_WATCH_MS ||
          this.cpuMsSinceStart(sample) > MAX_BOOT_WATCH_CPU_MS);
      const settled = this.bootWatch.settled();
      if ((settled || overdue) && this.kvmVerified) {
        this.bootWatch = undefined;
        step = { kind: 'booted', settled };
      }
    }
    if (!this.bootWatch && this.kvmVerified && sample.screenChanged) {
      this.done = true;
      return step.kind === 'booted' ? step : { kind: 'started' };
    }
    return step;
  }

  /** QEMU's CPU time since the first sample, or 0 while unknown. */
  private cpuMsSinceStart(sample: StartupSample): number {
    if (sample.cpuTicks === null) return 0;
    this.firstCpuTicks ??= sample.cpuTicks;
    return (
      ((sample.cpuTicks - this.firstCpuTicks) * 1000) / CLOCK_TICKS_PER_SECOND
    );
  }
}
