import express from 'express';
import Router from 'express-promise-router';
import type {
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import { locoEnvironmentReadPermission } from '@loco-portal/plugin-loco-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { z } from 'zod';
import { environmentParam } from '../params';
import { badgeContent, renderBadge } from './renderBadge';
import { requirePermission } from '../requirePermission';

export interface BadgesRouterOptions {
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
}

/** `<env>.svg` → the environment name, validated like every other route's. */
const badgeParams = z
  .object({
    file: z.string().regex(/^[^/]+\.svg$/, 'badge address must end in .svg'),
  })
  .transform(({ file }) => ({ env: file.slice(0, -'.svg'.length) }))
  .pipe(environmentParam);

/**
 * GET /badges/environments/:env.svg — the environment's health as a
 * shields-style SVG ("loco | 8/9 healthy"). Authenticated like every route:
 * a user token, a service token, or the user cookie (limited access), so a
 * signed-in reader's browser can show it in an <img> once the plugin's
 * auth policy allows `user-cookie` on /badges.
 */
export async function createBadgesRouter(
  options: BadgesRouterOptions,
): Promise<express.Router> {
  const { runtimes, httpAuth, permissions, logger } = options;
  const router = Router();

  router.get('/badges/environments/:file', async (req, res) => {
    await requirePermission(
      { httpAuth, permissions },
      req,
      locoEnvironmentReadPermission,
      { allowLimitedAccess: true },
    );
    const parsed = badgeParams.safeParse(req.params);
    if (!parsed.success) throw new InputError(z.prettifyError(parsed.error));

    res.type('image/svg+xml').setHeader('Cache-Control', 'no-store');
    try {
      const env = await runtimes.getEnvironment(parsed.data.env);
      res.send(renderBadge(badgeContent(env.summary)));
    } catch (error) {
      if (
        error instanceof NotFoundError ||
        (error as Error)?.name === 'NotFoundError'
      ) {
        res.status(404).send(
          renderBadge({
            label: 'loco',
            message: 'not found',
            colour: 'grey',
          }),
        );
        return;
      }
      // The runtime could not answer: say so rather than guess.
      logger.warn(`badge for ${parsed.data.env}: ${error}`);
      res.status(503).send(renderBadge(badgeContent(null)));
    }
  });

  return router;
}
