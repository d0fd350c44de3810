import { BootWatch, kvmVerdict } from './bootWatch';

/**
 * A cold boot that has not settled by then is snapshotted anyway (a start from
 * a mid-boot snapshot finishes the boot, still sooner than a cold one) and gives
 * its cold-boot slot back, so a starved host cannot block the queue for long.
 */
export const MAX_BOOT_WATCH_MS = 60_000;

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
}

/**
 * Decides, probe by probe, when a start is over: KVM proven to run the guest
 * (or given up), and for a cold boot the moment the guest is up, which is the
 * moment worth saving as its boot snapshot. Pure logic over measurements.
 */
export class StartupCheck {
  private bootWatch?: BootWatch;
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
      });
      const overdue =
        sample.at - this.o.startedAt > MAX_BOOT_WATCH_MS &&
        this.bootWatch.screenChanged;
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
}
