import { randomBytes } from 'node:crypto';
import type { DatabaseService } from '@backstage/backend-plugin-api';
import {
  migratedPluginDatabase,
  type PluginKnex as Knex,
} from '../pluginDatabase';

const TABLE = 'loco_public_badges';

/** 128 random bits, base64url: as hard to guess as a v4 UUID, shorter in a URL. */
export const PUBLIC_BADGE_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The random id behind each environment's public badge address, kept in the
 * plugin's database like Backstage's badges plugin keeps its obfuscated
 * entity ids: the address reveals neither the environment's name nor
 * anything that would let someone derive another environment's address.
 */
export class PublicBadgeIds {
  static async create(database: DatabaseService): Promise<PublicBadgeIds> {
    return new PublicBadgeIds(await migratedPluginDatabase(database));
  }

  private constructor(private readonly knex: Knex) {}

  /** The environment's id, created on first use and stable afterwards. */
  async idFor(environment: string): Promise<string> {
    const existing = await this.find({ environment });
    if (existing) return existing.badge_id;
    await this.knex(TABLE)
      .insert({
        environment,
        badge_id: randomBytes(16).toString('base64url'),
      })
      .onConflict('environment')
      .ignore();
    // Two first requests may race: whichever insert won is the id.
    const row = await this.find({ environment });
    if (!row) throw new Error(`no public badge id stored for ${environment}`);
    return row.badge_id;
  }

  /** The environment behind an id, or undefined for an id never issued. */
  async environmentOf(badgeId: string): Promise<string | undefined> {
    return (await this.find({ badge_id: badgeId }))?.environment;
  }

  private async find(
    where: Partial<{ environment: string; badge_id: string }>,
  ): Promise<{ environment: string; badge_id: string } | undefined> {
    return this.knex(TABLE).where(where).first();
  }
}
