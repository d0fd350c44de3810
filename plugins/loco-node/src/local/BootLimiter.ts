/**
 * Limits how many emulators cold-boot at once. A cold boot of a PC guest keeps
 * one core busy for many seconds: nine at once on a 2-core host starve it for a
 * minute, while the same nine in slots of two finish sooner and keep the host
 * responsive. Snapshot starts cost well under a second and never take a slot.
 */
export class BootLimiter {
  private active = 0;
  private readonly queue: Array<{ grant: () => void }> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new Error(
        `BootLimiter limit must be a positive integer, got ${limit}`,
      );
    }
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits for a slot. The returned release function is idempotent. Rejects when
   * `signal` aborts while waiting (the instance was stopped before its turn).
   * A slot held longer than `maxHoldMs` is released by itself, so one boot
   * that never finishes (a starved host, a hung guest) cannot block the queue.
   */
  acquire(signal?: AbortSignal, maxHoldMs?: number): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('aborted'));
        return;
      }
      // eslint-disable-next-line prefer-const -- entry and onAbort refer to each other
      let onAbort: () => void;
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active += 1;
          let released = false;
          let timer: NodeJS.Timeout | undefined;
          const release = () => {
            if (released) return;
            released = true;
            clearTimeout(timer);
            this.active -= 1;
            this.next();
          };
          if (maxHoldMs !== undefined) {
            timer = setTimeout(release, maxHoldMs);
            timer.unref();
          }
          resolve(release);
        },
      };
      onAbort = () => {
        const at = this.queue.indexOf(entry);
        if (at >= 0) this.queue.splice(at, 1);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.next();
    });
  }

  private next() {
    while (this.active < this.limit && this.queue.length > 0) {
      this.queue.shift()!.grant();
    }
  }
}
