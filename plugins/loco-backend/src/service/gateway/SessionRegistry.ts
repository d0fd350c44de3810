import type { SeatHolders } from '../seats/Seats';

/** One open gateway session as the registry sees it. */
export interface RegisteredSession {
  readonly user: string;
  readonly environment: string;
  readonly index: number;
  close(code: number, reason: string): void;
  /** The instance's seat holder changed (undefined: the seat is free). */
  setSeatHolder(holder: string | undefined): void;
}

/**
 * Every open VNC session of this backend: enforces the per-user cap (a slot is
 * taken before the VNC connection is opened, so parallel upgrades cannot
 * overshoot it) and closes everything on shutdown.
 */
export class SessionRegistry {
  private readonly perUser = new Map<string, number>();
  private readonly sessions = new Set<RegisteredSession>();
  private seats: SeatHolders | undefined;
  private stopFollowingSeats = () => {};

  constructor(private readonly maxSessionsPerUser: number) {}

  /** Takes a slot for `user`; returns its release function, or undefined when at the cap. */
  reserve(user: string): (() => void) | undefined {
    const count = this.perUser.get(user) ?? 0;
    if (count >= this.maxSessionsPerUser) return undefined;
    this.perUser.set(user, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perUser.get(user) ?? 1) - 1;
      if (left > 0) this.perUser.set(user, left);
      else this.perUser.delete(user);
    };
  }

  /**
   * Enforces seats from now on: each session gets its instance's holder when
   * it is added (before it has handled any viewer message: the gateway adds
   * it in the same turn it is created), and every change at once. Without
   * seats, or on an instance without a holder, anyone with control types.
   */
  followSeats(seats: SeatHolders) {
    this.stopFollowingSeats();
    this.seats = seats;
    this.stopFollowingSeats = seats.onChange((environment, index, holder) =>
      this.applySeat(environment, index, holder),
    );
    for (const s of this.sessions) {
      s.setSeatHolder(seats.holderOf(s.environment, s.index));
    }
  }

  add(session: RegisteredSession): () => void {
    this.sessions.add(session);
    if (this.seats) {
      session.setSeatHolder(
        this.seats.holderOf(session.environment, session.index),
      );
    }
    return () => this.sessions.delete(session);
  }

  get size(): number {
    return this.sessions.size;
  }

  sessionsOf(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  /** Applies a seat change to the instance's open sessions at once. */
  applySeat(environment: string, index: number, holder: string | undefined) {
    for (const session of this.sessions) {
      if (session.environment === environment && session.index === index) {
        session.setSeatHolder(holder);
      }
    }
  }

  /** Who has a screen open where (seat holders are kept present by it). */
  *present(): Iterable<{ environment: string; index: number; user: string }> {
    for (const { environment, index, user } of this.sessions) {
      yield { environment, index, user };
    }
  }

  closeAll(reason: string) {
    this.stopFollowingSeats();
    for (const session of [...this.sessions]) session.close(1001, reason);
  }
}
