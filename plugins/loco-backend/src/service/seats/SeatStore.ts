import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { LocoSeat } from '@loco-portal/plugin-loco-common';
import {
  migratedPluginDatabase,
  type PluginKnex as Knex,
} from '../pluginDatabase';

const TABLE = 'loco_seats';

interface SeatRow {
  environment: string;
  instance: number;
  holder: string;
  claimed_at: number | string;
  seen_at: number | string;
}

/** A seat as stored, with when its holder was last seen on it. */
export interface StoredSeat extends LocoSeat {
  seenAt: number;
}

/** The outcome of a claim, decided inside one transaction. */
export type ClaimOutcome =
  | { result: 'claimed' | 'already-yours' }
  | { result: 'taken'; holder: string }
  | { result: 'limit'; held: number[] };

/**
 * The seats table in the plugin's database (coreServices.database), so every
 * backend replica sees the same holders and a restart keeps them. Plain
 * rows; the rules live in {@link Seats}.
 */
export class SeatStore {
  static async create(database: DatabaseService): Promise<SeatStore> {
    return new SeatStore(await migratedPluginDatabase(database));
  }

  private constructor(private readonly knex: Knex) {}

  async list(environment?: string): Promise<StoredSeat[]> {
    const query = this.knex<SeatRow>(TABLE).orderBy([
      'environment',
      'instance',
    ]);
    if (environment !== undefined) query.where({ environment });
    return (await query).map(fromRow);
  }

  /**
   * Claims a free instance for `holder`, unless they already hold `maxPerUser`
   * seats in the environment. One transaction, so two claims cannot both win.
   */
  async claim(
    environment: string,
    index: number,
    holder: string,
    maxPerUser: number,
    now: number,
  ): Promise<ClaimOutcome> {
    return this.knex.transaction(async trx => {
      const existing = await trx<SeatRow>(TABLE)
        .where({ environment, instance: index })
        .first();
      if (existing?.holder === holder) return { result: 'already-yours' };
      if (existing) return { result: 'taken', holder: existing.holder };
      const held = await trx<SeatRow>(TABLE)
        .where({ environment, holder })
        .select('instance');
      if (held.length >= maxPerUser) {
        return { result: 'limit', held: held.map(r => Number(r.instance)) };
      }
      // A concurrent claim on another replica loses on the primary key.
      const inserted = await trx(TABLE)
        .insert({
          environment,
          instance: index,
          holder,
          claimed_at: now,
          seen_at: now,
        })
        .onConflict(['environment', 'instance'])
        .ignore()
        .returning('holder');
      if (inserted.length === 0) {
        const winner = await trx<SeatRow>(TABLE)
          .where({ environment, instance: index })
          .first();
        return { result: 'taken', holder: winner?.holder ?? 'unknown' };
      }
      return { result: 'claimed' };
    });
  }

  /** Gives the seat to `holder` whoever held it (a manager's take-over). */
  async assign(
    environment: string,
    index: number,
    holder: string,
    now: number,
  ) {
    await this.knex(TABLE)
      .insert({
        environment,
        instance: index,
        holder,
        claimed_at: now,
        seen_at: now,
      })
      .onConflict(['environment', 'instance'])
      .merge(['holder', 'claimed_at', 'seen_at']);
  }

  /** Deletes the seat (only if `holder` holds it, when given); true if one was deleted. */
  async remove(
    environment: string,
    index: number,
    holder?: string,
  ): Promise<boolean> {
    const query = this.knex(TABLE).where({ environment, instance: index });
    if (holder !== undefined) query.where({ holder });
    return (await query.delete()) > 0;
  }

  /** Records that `holder` still has a screen of the instance open. */
  async touch(environment: string, index: number, holder: string, now: number) {
    await this.knex(TABLE)
      .where({ environment, instance: index, holder })
      .update({ seen_at: now });
  }

  /** Deletes the seats whose holder was last seen before `before`; returns them. */
  async expire(before: number): Promise<StoredSeat[]> {
    const stale = (
      await this.knex<SeatRow>(TABLE).where('seen_at', '<', before)
    ).map(fromRow);
    const freed: StoredSeat[] = [];
    for (const seat of stale) {
      // Only if still unseen: the holder may have come back meanwhile.
      const deleted = await this.knex(TABLE)
        .where({
          environment: seat.environment,
          instance: seat.index,
          holder: seat.holder,
        })
        .where('seen_at', '<', before)
        .delete();
      if (deleted > 0) freed.push(seat);
    }
    return freed;
  }
}

function fromRow(row: SeatRow): StoredSeat {
  // PostgreSQL answers bigint columns as strings.
  return {
    environment: row.environment,
    index: Number(row.instance),
    holder: row.holder,
    claimedAt: new Date(Number(row.claimed_at)).toISOString(),
    seenAt: Number(row.seen_at),
  };
}
