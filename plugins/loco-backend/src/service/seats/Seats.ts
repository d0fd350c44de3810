import { ConflictError, NotAllowedError } from '@backstage/errors';
import type { LocoSeat } from '@loco-portal/plugin-loco-common';
import type { SeatStore, StoredSeat } from './SeatStore';

export interface SeatSettings {
  /** Seats one user may hold in one environment at once. */
  maxSeatsPerUser: number;
  /** How long a holder may have no screen of the instance open before the seat is freed. */
  gracePeriodMs: number;
}

/** Called with the instance whose holder changed (claimed, released, taken over, freed). */
export type SeatChangeListener = (
  environment: string,
  index: number,
  holder: string | undefined,
) => void;

/** Who plays where, answered from memory: the gateway asks on every session. */
export interface SeatHolders {
  holderOf(environment: string, index: number): string | undefined;
  onChange(listener: SeatChangeListener): () => void;
}

const key = (environment: string, index: number) => `${environment}/${index}`;

/**
 * The seat rules over the {@link SeatStore}: claiming a free instance (one
 * seat per user per environment by default), releasing one's own, a
 * manager's take-over and free, and freeing the seats whose holder has been
 * gone longer than the grace period. Permissions are the routes' business;
 * this class decides between users. It keeps the stored seats in memory
 * (refreshed after each change here and by {@link refresh}, which other
 * replicas' changes reach) and tells listeners which holders changed.
 */
export class Seats implements SeatHolders {
  private holders = new Map<string, string>();
  private readonly listeners = new Set<SeatChangeListener>();

  constructor(
    private readonly store: SeatStore,
    readonly settings: SeatSettings,
    /** The clock; tests pass their own instead of waiting. */
    private readonly now: () => number = Date.now,
  ) {}

  holderOf(environment: string, index: number): string | undefined {
    return this.holders.get(key(environment, index));
  }

  onChange(listener: SeatChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async list(environment: string): Promise<LocoSeat[]> {
    return (await this.store.list(environment)).map(publicSeat);
  }

  async claim(environment: string, index: number, user: string) {
    const outcome = await this.store.claim(
      environment,
      index,
      user,
      this.settings.maxSeatsPerUser,
      this.now(),
    );
    await this.refresh();
    if (outcome.result === 'taken') {
      throw new ConflictError(
        `Instance ${index} is played by ${outcome.holder}`,
      );
    }
    if (outcome.result === 'limit') {
      throw new ConflictError(
        `You already play instance ${outcome.held.join(
          ', ',
        )} of ${environment} (at most ${
          this.settings.maxSeatsPerUser
        } per user); leave it first`,
      );
    }
  }

  /** The holder leaves; anyone else is refused (a manager frees instead). */
  async release(environment: string, index: number, user: string) {
    const holder = this.holderOf(environment, index);
    const removed = await this.store.remove(environment, index, user);
    await this.refresh();
    if (!removed && holder !== undefined && holder !== user) {
      throw new NotAllowedError(`Instance ${index} is played by ${holder}`);
    }
  }

  /** A manager frees the seat whoever holds it; the previous holder, if any. */
  async free(environment: string, index: number) {
    const previous = (await this.store.list(environment)).find(
      s => s.index === index,
    )?.holder;
    await this.store.remove(environment, index);
    await this.refresh();
    return previous;
  }

  /** A manager takes the seat whoever holds it; the previous holder, if any. */
  async takeOver(environment: string, index: number, user: string) {
    const previous = (await this.store.list(environment)).find(
      s => s.index === index,
    )?.holder;
    await this.store.assign(environment, index, user, this.now());
    await this.refresh();
    return previous;
  }

  /**
   * Holders with a screen of their instance open (as this replica's gateway
   * sees them) are marked present; then seats whose holder has been gone
   * longer than the grace period are freed and returned.
   */
  async keepPresentAndExpire(
    present: Iterable<{ environment: string; index: number; user: string }>,
  ): Promise<StoredSeat[]> {
    const now = this.now();
    for (const { environment, index, user } of present) {
      if (this.holderOf(environment, index) === user) {
        await this.store.touch(environment, index, user, now);
      }
    }
    const freed = await this.store.expire(now - this.settings.gracePeriodMs);
    await this.refresh();
    return freed;
  }

  /** Reloads the holders from the database and tells listeners what changed. */
  async refresh() {
    const next = new Map(
      (await this.store.list()).map(s => [key(s.environment, s.index), s]),
    );
    const previous = this.holders;
    this.holders = new Map([...next].map(([k, s]) => [k, s.holder]));
    const changed = new Set<string>();
    for (const [k, holder] of previous) {
      if (this.holders.get(k) !== holder) changed.add(k);
    }
    for (const [k, holder] of this.holders) {
      if (previous.get(k) !== holder) changed.add(k);
    }
    for (const k of changed) {
      const [environment, index] = splitKey(k);
      const seat = next.get(k);
      for (const listener of this.listeners) {
        listener(environment, index, seat?.holder);
      }
    }
  }
}

function splitKey(k: string): [string, number] {
  const slash = k.lastIndexOf('/');
  return [k.slice(0, slash), Number(k.slice(slash + 1))];
}

function publicSeat({ seenAt: _, ...seat }: StoredSeat): LocoSeat {
  return seat;
}
