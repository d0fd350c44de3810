import express from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import {
  locoEnvironmentReadPermission,
  locoEnvironmentManagePermission,
  locoInstanceControlPermission,
} from '@loco-portal/plugin-loco-common';
import type {
  InstanceAction,
  LocoRuntimes,
} from '@loco-portal/plugin-loco-node';
import { z } from 'zod';
import { environmentParam, instanceParams } from './params';
import { requirePermission } from './requirePermission';

export interface RouterOptions {
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}

const ACTION_PERMISSIONS: Record<InstanceAction, BasicPermission> = {
  restart: locoInstanceControlPermission,
  reset: locoInstanceControlPermission,
  // Like reset it changes the running guest, not what is kept: control.
  restore: locoInstanceControlPermission,
  save: locoEnvironmentManagePermission,
};

const actionParams = z.object({
  action: z.enum(['restart', 'reset', 'restore', 'save']),
});

/** The HTTP API under /api/loco. Every route is authenticated and authorized. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { runtimes, httpAuth, permissions, auditor } = options;
  const router = Router();
  // No route reads a body, so none is parsed: a malformed one is never
  // echoed back, least of all to a caller who has not signed in.

  // Explicit `allow`: without it httpAuth returns "none" credentials instead of failing.
  const authenticate = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });
  const authorize = (req: express.Request, permission: BasicPermission) =>
    requirePermission({ httpAuth, permissions }, req, permission);

  router.get('/health', async (req, res) => {
    await authenticate(req);
    res.json({ status: 'ok', runtimes: runtimes.kinds() });
  });

  router.get('/environments', async (req, res) => {
    await authorize(req, locoEnvironmentReadPermission);
    res.json(await runtimes.listEnvironments());
  });

  router.get('/environments/:env', async (req, res) => {
    await authorize(req, locoEnvironmentReadPermission);
    const env = parse(environmentParam, req.params);
    res.json(await runtimes.getEnvironment(env.env));
  });

  router.get(
    '/environments/:env/instances/:index/screenshot',
    async (req, res) => {
      await authorize(req, locoEnvironmentReadPermission);
      const { env, index } = parse(instanceParams, req.params);
      const png = await runtimes.screenshot(env, index);
      res.type('image/png').setHeader('Cache-Control', 'no-store').send(png);
    },
  );

  router.post(
    '/environments/:env/instances/:index/actions/:action',
    async (req, res) => {
      // Who is asking comes first: the valid action names are no business of
      // a caller without credentials (401 before any 400).
      await authenticate(req);
      const { action } = parse(actionParams, { action: req.params.action });
      const { env, index } = parse(instanceParams, req.params);
      // Who changed which emulator, refused attempts included.
      const event = await auditor.createEvent({
        eventId: 'instance-action',
        severityLevel: 'medium',
        request: req,
        meta: { environment: env, instance: index, action },
      });
      try {
        await authorize(req, ACTION_PERMISSIONS[action]);
        await runtimes.runAction(env, index, action);
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
      await event.success();
      res.status(202).json({ environment: env, index, action, status: 'done' });
    },
  );

  return router;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(z.prettifyError(result.error));
  return result.data;
}
