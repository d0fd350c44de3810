import type { Config } from '@backstage/config';
import { readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import { z } from 'zod';

export interface GatewaySettings {
  maxSessionsPerUser: number;
  idleTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Relay screens with the native splice(2) relay when it is built. */
  zeroCopy: boolean;
}

export const GATEWAY_DEFAULTS: GatewaySettings = {
  maxSessionsPerUser: 32,
  // An open tab on a quiet screen is a normal thing to have; cut only the forgotten ones.
  idleTimeoutMs: 4 * 60 * 60 * 1000,
  heartbeatIntervalMs: 30_000,
  zeroCopy: true,
};

const settingsSchema = z.object({
  maxSessionsPerUser: z.number().int().min(1).max(10_000),
  idleTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .max(7 * 24 * 3600 * 1000),
  heartbeatIntervalMs: z
    .number()
    .int()
    .min(1_000)
    .max(3600 * 1000),
  zeroCopy: z.boolean(),
});

/** Reads `loco.gateway.*`; durations are seconds (number) or Backstage durations. */
export function readGatewaySettings(config: Config): GatewaySettings {
  const gateway = config.getOptionalConfig('loco.gateway');
  const duration = (key: string, fallback: number) => {
    if (!gateway?.has(key)) return fallback;
    const value = gateway.get(key);
    if (typeof value === 'number') return value * 1000;
    return durationToMilliseconds(readDurationFromConfig(gateway, { key }));
  };
  const result = settingsSchema.safeParse({
    maxSessionsPerUser:
      gateway?.getOptionalNumber('maxSessionsPerUser') ??
      GATEWAY_DEFAULTS.maxSessionsPerUser,
    idleTimeoutMs: duration('idleTimeout', GATEWAY_DEFAULTS.idleTimeoutMs),
    heartbeatIntervalMs: duration(
      'heartbeatInterval',
      GATEWAY_DEFAULTS.heartbeatIntervalMs,
    ),
    zeroCopy:
      gateway?.getOptionalBoolean('zeroCopy') ?? GATEWAY_DEFAULTS.zeroCopy,
  });
  if (!result.success) {
    throw new InputError(
      `Invalid loco.gateway config: ${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}
