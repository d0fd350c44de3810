import type { InstanceHealth } from '@loco-portal/plugin-loco-common';
import type { ProbeResult } from './podHealth';

export interface HealthPollerOptions<T> {
  /** Used in messages and metric labels. */
  location: string;
  intervalMs: number;
  timeoutMs: number;
  /** At most this many probes in flight for the cluster. */
  concurrency: number;
  /** Consecutive failed probes (across the cluster) that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit skips probes before one trial probe. */
  cooldownMs: number;
  /** What to probe this round, by stable key. */
  targets: () => Map<string, T>;
  probe: (target: T, timeoutMs: number) => Promise<InstanceHealth>;
  onProbeSeconds: (seconds: number) => void;
  /** Called once after each round that changed any result. */
  onRound: () => void;
}

/**
 * Polls every emulator's health endpoint of one cluster. Bounded concurrency
 * and per-probe timeouts keep a thousand pods from turning into a thousand
 * sockets; the circuit breaker stops hammering a cluster whose pod network is
 * unreachable (a wrong `emulatorAccess`, a network policy) and tries again
 * with a single probe after a cooldown.
 */
export class HealthPoller<T> {
  readonly results = new Map<string, ProbeResult>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private nudgeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private consecutiveFailures = 0;
  private openUntil = 0;

  constructor(private readonly options: HealthPollerOptions<T>) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.pollOnce().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(loop, this.options.intervalMs);
        this.timer.unref?.();
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.nudgeTimer);
    await this.running?.catch(() => {});
  }

  get circuitOpen(): boolean {
    return Date.now() < this.openUntil;
  }

  /** Enough failures in a row to stop this round (the circuit opened). */
  private get tripped(): boolean {
    return this.consecutiveFailures >= this.options.failureThreshold;
  }

  /**
   * New pods (no result yet) should not wait a whole interval for their first
   * probe: probe just those, soon, batching bursts of watch events.
   */
  nudge(): void {
    if (this.stopped || this.nudgeTimer) return;
    this.nudgeTimer = setTimeout(async () => {
      await this.running?.catch(() => {});
      this.nudgeTimer = undefined;
      if (this.stopped) return;
      this.running = this.pollOnce({ onlyNew: true });
    }, 250);
    this.nudgeTimer.unref?.();
  }

  /** One round over every current target (or only those never probed). */
  async pollOnce(options: { onlyNew?: boolean } = {}): Promise<void> {
    const targets = this.options.targets();
    for (const key of this.results.keys()) {
      if (!targets.has(key)) this.results.delete(key);
      else if (options.onlyNew) targets.delete(key);
    }
    if (options.onlyNew && targets.size === 0) return;
    const now = new Date();
    if (this.circuitOpen) {
      const reason = `health checks paused: ${this.consecutiveFailures} probes failed in a row in ${this.options.location}`;
      for (const key of targets.keys())
        this.results.set(key, { kind: 'paused', reason, at: now });
      this.options.onRound();
      return;
    }
    let queue = [...targets.entries()];
    // Half-open after a cooldown: one trial probe decides whether to resume.
    if (this.tripped) {
      const [first, ...rest] = queue;
      if (!first || !(await this.probeOne(first[0], first[1]))) {
        this.openUntil = Date.now() + this.options.cooldownMs;
        this.options.onRound();
        return;
      }
      queue = rest;
    }
    const workers = Array.from(
      { length: Math.min(this.options.concurrency, queue.length) },
      async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          if (this.stopped || this.tripped) return;
          await this.probeOne(next[0], next[1]);
        }
      },
    );
    await Promise.all(workers);
    this.options.onRound();
  }

  private async probeOne(key: string, target: T): Promise<boolean> {
    const started = process.hrtime.bigint();
    try {
      const health = await this.options.probe(target, this.options.timeoutMs);
      this.results.set(key, { kind: 'ok', health, at: new Date() });
      this.consecutiveFailures = 0;
      return true;
    } catch (error) {
      this.results.set(key, {
        kind: 'failed',
        error: (error as Error)?.message ?? String(error),
        at: new Date(),
      });
      this.consecutiveFailures += 1;
      if (this.tripped) {
        this.openUntil = Date.now() + this.options.cooldownMs;
      }
      return false;
    } finally {
      this.options.onProbeSeconds(
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  }
}
