import type { BootLimiter } from './BootLimiter';

/**
 * One instance's place in the host's cold-boot queue: waiting for a slot,
 * holding one, or neither. The slot is given back when the boot is over (or
 * QEMU exits); a start that is stopped while queued simply leaves the queue.
 */
export class ColdBootSlot {
  private waiting?: AbortController;
  private release?: () => void;

  constructor(
    private readonly limiter: BootLimiter,
    /** A slot is given back by itself after this long (see startupCheck). */
    private readonly maxHoldMs: number,
  ) {}

  get isWaiting(): boolean {
    return this.waiting !== undefined;
  }

  /**
   * Resolves true once the slot is held, false when `cancelWait` ended the
   * wait. `onQueued` is called first when the start has to wait its turn.
   */
  async take(onQueued?: () => void): Promise<boolean> {
    if (this.limiter.running >= this.limiter.limit) onQueued?.();
    const waiting = new AbortController();
    this.waiting = waiting;
    try {
      this.release = await this.limiter.acquire(waiting.signal, this.maxHoldMs);
      return true;
    } catch {
      return false;
    } finally {
      this.waiting = undefined;
    }
  }

  cancelWait(): void {
    this.waiting?.abort();
  }

  /** Idempotent: the boot is over, or QEMU is gone. */
  giveBack(): void {
    this.release?.();
    this.release = undefined;
  }
}
