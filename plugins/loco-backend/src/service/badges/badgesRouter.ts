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
import { PUBLIC_BADGE_ID, type PublicBadgeIds } from './PublicBadgeIds';

export interface BadgesRouterOptions {
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  logger: LoggerService;
  /** The plugin's external base URL, for the public badge addresses it hands out. */
  externalBaseUrl: string;
  /** Public badges' ids; undefined when `loco.badges.public` is false. */
  publicIds?: PublicBadgeIds;
}

/** The path below the plugin that answers without a Backstage session. */
export const PUBLIC_BADGES_PATH = '/badges/public';

/** `<name>.svg` → the name. */
const svgName = z
  .string()
  .regex(/^[^/]+\.svg$/, 'badge address must end in .svg')
  .transform(file => file.slice(0, -'.svg'.length));

/** `:file` of the portal badge: an environment name validated like every other route's. */
const badgeParams = z
  .object({ file: svgName })
  .transform(({ file }) => ({ env: file }))
  .pipe(environmentParam);

/** `:file` of the public badge: an id of the shape PublicBadgeIds issues. */
const publicBadgeParams = z
  .object({
    file: svgName.pipe(z.string().regex(PUBLIC_BADGE_ID, 'not a badge id')),
  })
  .transform(({ file }) => ({ id: file }));

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(z.prettifyError(result.error));
  return result.data;
}

const isNotFound = (error: unknown) =>
  error instanceof NotFoundError || (error as Error)?.name === 'NotFoundError';

const NOT_FOUND_BADGE = renderBadge({
  label: 'loco',
  message: 'not found',
  colour: 'grey',
});

/**
 * Health badges, shields-style SVGs ("loco | 8/9 healthy"):
 *
 * - GET /badges/environments/:env.svg — for the portal: a user token, a
 *   service token or the user cookie, and loco.environment.read.
 * - GET /badges/environments/:env/public — for those same readers: the
 *   environment's public badge address (its id is made on first request).
 * - GET /badges/public/:id.svg — for READMEs and wikis: no session at all.
 *   The id is random, so the address names no environment and cannot be
 *   guessed; the badge says only the health counts, never a name.
 */
export async function createBadgesRouter(
  options: BadgesRouterOptions,
): Promise<express.Router> {
  const { runtimes, httpAuth, permissions, logger, publicIds } = options;
  const router = Router();

  /** Sends the environment's badge: 404 and 503 badges say what is unknown. */
  async function sendBadge(res: express.Response, env: string) {
    res.type('image/svg+xml').setHeader('Cache-Control', 'no-store');
    try {
      const environment = await runtimes.getEnvironment(env);
      res.send(renderBadge(badgeContent(environment.summary)));
    } catch (error) {
      if (isNotFound(error)) {
        res.status(404).send(NOT_FOUND_BADGE);
        return;
      }
      // The runtime could not answer: say so rather than guess.
      logger.warn(`badge for ${env}: ${error}`);
      res.status(503).send(renderBadge(badgeContent(null)));
    }
  }

  router.get('/badges/environments/:file', async (req, res) => {
    await requirePermission(
      { httpAuth, permissions },
      req,
      locoEnvironmentReadPermission,
      { allowLimitedAccess: true },
    );
    await sendBadge(res, parse(badgeParams, req.params).env);
  });

  router.get('/badges/environments/:env/public', async (req, res) => {
    await requirePermission(
      { httpAuth, permissions },
      req,
      locoEnvironmentReadPermission,
    );
    const { env } = parse(environmentParam, req.params);
    if (!publicIds) {
      throw new NotFoundError(
        'public badges are turned off (loco.badges.public)',
      );
    }
    // Only environments that exist get an address (throws NotFoundError).
    await runtimes.getEnvironment(env);
    const id = await publicIds.idFor(env);
    res.json({
      url: `${options.externalBaseUrl}${PUBLIC_BADGES_PATH}/${id}.svg`,
    });
  });

  if (publicIds) {
    router.get(`${PUBLIC_BADGES_PATH}/:file`, async (req, res) => {
      const { id } = parse(publicBadgeParams, req.params);
      const env = await publicIds.environmentOf(id);
      // An id never issued looks exactly like a removed environment.
      if (!env) {
        res
          .status(404)
          .type('image/svg+xml')
          .setHeader('Cache-Control', 'no-store')
          .send(NOT_FOUND_BADGE);
        return;
      }
      await sendBadge(res, env);
    });
  }

  return router;
}
