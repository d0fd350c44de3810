import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Seats } from './Seats';

/** How often the seats are reloaded, so another replica's change reaches this one's sessions. */
export const SEAT_REFRESH_MS = 1_000;

export interface SeatKeeperOptions {
  seats: Seats;
  logger: LoggerService;
  /** The holders with a screen open on this replica (the gateway's sessions). */
  present: () => Iterable<{ environment: string; index: number; user: string }>;
}

/**
 * The seats' timers: a reload every second, and presence plus expiry a few
 * times per grace period (at most every 15 s), so a holder who is gone is
 * freed within about a third of the grace period after it ends. Failures
 * (database away) are logged and retried on the next tick.
 */
export class SeatKeeper {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: SeatKeeperOptions) {}

  start() {
    const presenceMs = Math.max(
      1_000,
      Math.min(15_000, Math.floor(this.o.seats.settings.gracePeriodMs / 3)),
    );
    this.every(SEAT_REFRESH_MS, () => this.o.seats.refresh());
    this.every(presenceMs, async () => {
      const freed = await this.o.seats.keepPresentAndExpire(this.o.present());
      for (const seat of freed) {
        this.o.logger.info(
          `Seat ${seat.environment}/${seat.index} freed: ${seat.holder} was away longer than the grace period`,
        );
      }
    });
  }

  stop() {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  private every(ms: number, task: () => Promise<unknown>) {
    let running = false;
    const timer = setInterval(() => {
      if (running) return; // a slow database must not pile up ticks
      running = true;
      task()
        .catch(error => this.o.logger.warn(`Seat upkeep failed: ${error}`))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
