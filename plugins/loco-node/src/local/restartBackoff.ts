export interface RestartBackoffOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A process that stayed up this long is considered recovered: backoff starts over. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = {
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
};

/**
 * How long to wait before restarting a crashed QEMU: doubling from
 * `firstDelayMs` up to `maxDelayMs` while it keeps crashing, so a guest that
 * cannot run does not eat the host, and back to the first delay once a run
 * lasted `stableAfterMs`.
 */
export class RestartBackoff {
  private failures = 0;

  constructor(
    private readonly o: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF,
  ) {}

  /** The delay before the next start, after a run that lasted `uptimeMs`. */
  next(uptimeMs: number): number {
    if (uptimeMs > this.o.stableAfterMs) this.failures = 0;
    const delay = Math.min(
      this.o.firstDelayMs * 2 ** this.failures,
      this.o.maxDelayMs,
    );
    this.failures += 1;
    return delay;
  }
}
