import express from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  locoEnvironmentManagePermission,
  locoEnvironmentReadPermission,
  locoInstanceControlPermission,
  SEAT_AUDIT_EVENT,
  type LocoSeatAction,
  type LocoSeatList,
} from '@loco-portal/plugin-loco-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import { z } from 'zod';
import { environmentParam, instanceParams } from '../params';
import { requirePermission } from '../requirePermission';
import type { Seats } from './Seats';

export interface SeatsRouterOptions {
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  seats: Seats;
}

/**
 * The seat routes (paths in loco-common's seats.ts), none reading a body:
 * GET .../seats lists them (read); POST .../instances/:index/seat claims
 * (control); DELETE .../instances/:index/seat releases one's own seat or, for
 * a manager, frees anyone's; POST .../seat/take-over gives a manager the
 * seat. Every change answers the new list and is audited as `loco-seat`,
 * refused attempts included.
 */
export async function createSeatsRouter(
  options: SeatsRouterOptions,
): Promise<express.Router> {
  const { runtimes, httpAuth, permissions, auditor, seats } = options;
  const router = Router();
  const authorize = (req: express.Request, permission: BasicPermission) =>
    requirePermission({ httpAuth, permissions }, req, permission);

  const list = async (environment: string): Promise<LocoSeatList> => ({
    environment,
    seats: await seats.list(environment),
    gracePeriodSeconds: Math.round(seats.settings.gracePeriodMs / 1000),
    maxSeatsPerUser: seats.settings.maxSeatsPerUser,
  });

  /** Runs one seat change as `user`, audited with its outcome. */
  const change = async (
    req: express.Request,
    seatAction: LocoSeatAction,
    run: (
      env: string,
      index: number,
    ) => Promise<{
      seatAction?: LocoSeatAction;
      previousHolder?: string;
    } | void>,
  ) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const { env, index } = parse(instanceParams, req.params);
    const event = await auditor.createEvent({
      eventId: SEAT_AUDIT_EVENT,
      // A manager moving someone out of their seat matters more than a claim.
      severityLevel:
        seatAction === 'take-over' || seatAction === 'free' ? 'medium' : 'low',
      request: req,
      meta: { environment: env, instance: index, seatAction },
    });
    try {
      const done = await run(env, index);
      await event.success({
        meta: { ...done },
      });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
    return env;
  };

  router.get('/environments/:env/seats', async (req, res) => {
    await authorize(req, locoEnvironmentReadPermission);
    const { env } = parse(environmentParam, req.params);
    res.setHeader('Cache-Control', 'no-store').json(await list(env));
  });

  router.post('/environments/:env/instances/:index/seat', async (req, res) => {
    const env = await change(req, 'claim', async (environment, index) => {
      const user = userOf(await authorize(req, locoInstanceControlPermission));
      await requireInstance(runtimes, environment, index);
      await seats.claim(environment, index, user);
    });
    res.status(201).json(await list(env));
  });

  router.delete(
    '/environments/:env/instances/:index/seat',
    async (req, res) => {
      const env = await change(req, 'release', async (environment, index) => {
        const user = userOf(
          await authorize(req, locoEnvironmentReadPermission),
        );
        const holder = seats.holderOf(environment, index);
        if (holder === undefined || holder === user) {
          await seats.release(environment, index, user);
          return { seatAction: 'release' };
        }
        // Someone else's seat: only a manager may free it.
        await authorize(req, locoEnvironmentManagePermission);
        return {
          seatAction: 'free',
          previousHolder: await seats.free(environment, index),
        };
      });
      res.json(await list(env));
    },
  );

  router.post(
    '/environments/:env/instances/:index/seat/take-over',
    async (req, res) => {
      const env = await change(req, 'take-over', async (environment, index) => {
        const user = userOf(
          await authorize(req, locoEnvironmentManagePermission),
        );
        await requireInstance(runtimes, environment, index);
        return {
          previousHolder: await seats.takeOver(environment, index, user),
        };
      });
      res.json(await list(env));
    },
  );

  return router;
}

/** Seats are held by people: a service principal has none to hold. */
function userOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as { userEntityRef?: string };
  if (!principal.userEntityRef) {
    throw new NotAllowedError('Only users hold seats');
  }
  return principal.userEntityRef;
}

/** A seat is only for an instance the environment has (NotFoundError otherwise). */
async function requireInstance(
  runtimes: LocoRuntimes,
  environment: string,
  index: number,
) {
  const env = await runtimes.getEnvironment(environment);
  if (!env.instances.some(i => i.index === index)) {
    throw new InputError(`${environment} has no instance ${index}`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(z.prettifyError(result.error));
  return result.data;
}
