import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SeatStore } from './SeatStore';
import { Seats, type SeatSettings } from './Seats';

const ADA = 'user:default/ada';
const BOB = 'user:default/bob';
const GRACE = 60_000;

jest.setTimeout(60_000);

describe('Seats (rules over a real SQLite database)', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  /** Two replicas' Seats on one database share `clock`. */
  async function setup(settings: Partial<SeatSettings> = {}) {
    const knex = await databases.init('SQLITE_3');
    const store = await SeatStore.create(mockServices.database({ knex }));
    const clock = { now: 1_000_000 };
    const make = () =>
      new Seats(
        store,
        { maxSeatsPerUser: 1, gracePeriodMs: GRACE, ...settings },
        () => clock.now,
      );
    return { seats: make(), otherReplica: make(), clock };
  }

  it('gives a free instance to the first claimant and refuses others a taken one', async () => {
    const { seats } = await setup();
    await seats.claim('env', 2, ADA);
    expect(seats.holderOf('env', 2)).toBe(ADA);
    await expect(seats.claim('env', 2, BOB)).rejects.toMatchObject({
      name: 'ConflictError',
      message: `Instance 2 is played by ${ADA}`,
    });
    // Claiming one's own seat again changes nothing.
    await seats.claim('env', 2, ADA);
    expect(await seats.list('env')).toEqual([
      expect.objectContaining({ environment: 'env', index: 2, holder: ADA }),
    ]);
  });

  it('allows one seat per user per environment by default, more when configured', async () => {
    const one = (await setup()).seats;
    await one.claim('env', 0, ADA);
    await expect(one.claim('env', 1, ADA)).rejects.toMatchObject({
      name: 'ConflictError',
    });
    await one.claim('other-env', 1, ADA); // another environment is another party
    const two = (await setup({ maxSeatsPerUser: 2 })).seats;
    await two.claim('env', 0, ADA);
    await two.claim('env', 1, ADA);
    await expect(two.claim('env', 2, ADA)).rejects.toMatchObject({
      name: 'ConflictError',
    });
  });

  it('lets only the holder release a seat; a manager frees or takes over anyone’s', async () => {
    const { seats } = await setup();
    const changes: unknown[] = [];
    seats.onChange((env, index, holder) => changes.push([env, index, holder]));
    await seats.claim('env', 1, ADA);
    await expect(seats.release('env', 1, BOB)).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    expect(seats.holderOf('env', 1)).toBe(ADA);
    expect(await seats.takeOver('env', 1, BOB)).toBe(ADA);
    expect(seats.holderOf('env', 1)).toBe(BOB);
    expect(await seats.free('env', 1)).toBe(BOB);
    expect(seats.holderOf('env', 1)).toBeUndefined();
    await seats.claim('env', 1, ADA);
    await seats.release('env', 1, ADA);
    expect(changes).toEqual([
      ['env', 1, ADA],
      ['env', 1, BOB],
      ['env', 1, undefined],
      ['env', 1, ADA],
      ['env', 1, undefined],
    ]);
  });

  it('frees a seat once its holder has had no screen of it open for the grace period', async () => {
    const { seats, clock } = await setup();
    await seats.claim('env', 0, ADA);
    const present = [{ environment: 'env', index: 0, user: ADA }];
    // Watching someone else's instance does not keep one's own seat.
    const elsewhere = [{ environment: 'env', index: 1, user: ADA }];

    clock.now += GRACE - 1;
    expect(await seats.keepPresentAndExpire(present)).toEqual([]);
    clock.now += GRACE - 1; // seen just now: still held
    expect(await seats.keepPresentAndExpire(elsewhere)).toEqual([]);
    expect(seats.holderOf('env', 0)).toBe(ADA);
    clock.now += 2; // a whole grace period since the holder was last seen
    const freed = await seats.keepPresentAndExpire(elsewhere);
    expect(freed).toEqual([
      expect.objectContaining({ environment: 'env', index: 0, holder: ADA }),
    ]);
    expect(seats.holderOf('env', 0)).toBeUndefined();
  });

  it('a claim that never opens a screen is freed after the grace period too', async () => {
    const { seats, clock } = await setup();
    await seats.claim('env', 0, ADA);
    clock.now += GRACE + 1;
    await seats.keepPresentAndExpire([]);
    expect(await seats.list('env')).toEqual([]);
  });

  it('another replica sees a change on its next refresh and tells its listeners', async () => {
    const { seats, otherReplica } = await setup();
    await otherReplica.refresh();
    const seen: unknown[] = [];
    otherReplica.onChange((env, index, holder) =>
      seen.push([env, index, holder]),
    );
    await seats.claim('env', 3, ADA);
    expect(otherReplica.holderOf('env', 3)).toBeUndefined();
    await otherReplica.refresh();
    expect(otherReplica.holderOf('env', 3)).toBe(ADA);
    expect(seen).toEqual([['env', 3, ADA]]);
    // Only the replica that claimed could race: the database decides.
    await expect(otherReplica.claim('env', 3, BOB)).rejects.toMatchObject({
      name: 'ConflictError',
    });
  });
});
