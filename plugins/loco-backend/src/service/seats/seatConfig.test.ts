import { ConfigReader } from '@backstage/config';
import { readSeatSettings, SEAT_DEFAULTS } from './seatConfig';

describe('readSeatSettings', () => {
  it('defaults to one seat per user and a 3 minute grace period', () => {
    expect(readSeatSettings(new ConfigReader({}))).toEqual(SEAT_DEFAULTS);
    expect(SEAT_DEFAULTS).toEqual({
      maxSeatsPerUser: 1,
      gracePeriodMs: 180_000,
    });
  });

  it('reads seconds and durations, and refuses nonsense', () => {
    const read = (seats: object) =>
      readSeatSettings(new ConfigReader({ loco: { seats } }));
    expect(read({ maxPerUser: 2, gracePeriod: 30 })).toEqual({
      maxSeatsPerUser: 2,
      gracePeriodMs: 30_000,
    });
    expect(read({ gracePeriod: { minutes: 5 } }).gracePeriodMs).toBe(300_000);
    expect(() => read({ maxPerUser: 0 })).toThrow(/loco.seats/);
    expect(() => read({ gracePeriod: 0 })).toThrow(/loco.seats/);
  });
});
