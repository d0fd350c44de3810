import type { Config } from '@backstage/config';
import { readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import { z } from 'zod';
import type { SeatSettings } from './Seats';

export const SEAT_DEFAULTS: SeatSettings = {
  maxSeatsPerUser: 1,
  // Long enough for a reload, a backend restart or a short network drop.
  gracePeriodMs: 3 * 60 * 1000,
};

const settingsSchema = z.object({
  maxSeatsPerUser: z.number().int().min(1).max(1_000),
  gracePeriodMs: z
    .number()
    .int()
    .min(1_000)
    .max(7 * 24 * 3600 * 1000),
});

/** Reads `loco.seats.*`; the grace period is seconds (number) or a Backstage duration. */
export function readSeatSettings(config: Config): SeatSettings {
  const seats = config.getOptionalConfig('loco.seats');
  let gracePeriodMs = SEAT_DEFAULTS.gracePeriodMs;
  if (seats?.has('gracePeriod')) {
    const value = seats.get('gracePeriod');
    gracePeriodMs =
      typeof value === 'number'
        ? value * 1000
        : durationToMilliseconds(
            readDurationFromConfig(seats, { key: 'gracePeriod' }),
          );
  }
  const result = settingsSchema.safeParse({
    maxSeatsPerUser:
      seats?.getOptionalNumber('maxPerUser') ?? SEAT_DEFAULTS.maxSeatsPerUser,
    gracePeriodMs,
  });
  if (!result.success) {
    throw new InputError(
      `Invalid loco.seats config: ${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}
