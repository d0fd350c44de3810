import express from 'express';
import Router from 'express-promise-router';
import type {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  locoEnvironmentManagePermission,
  snapshotTagProblem,
} from '@loco-portal/plugin-loco-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { z } from 'zod';
import { instanceParams } from './params';
import { requirePermission } from './requirePermission';

export interface PublishRouterOptions {
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}

/** The body: the tag to publish as, by loco-common's one tag rule. */
const publishBody = z.object({
  tag: z.string().superRefine((tag, ctx) => {
    const problem = snapshotTagProblem(tag);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
});

/**
 * POST /environments/:env/instances/:index/publish `{"tag": "games"}`:
 * publishes the instance's current disk and RAM state as a snapshot tag
 * (the tile menu's "Publish snapshot…"), through the runtime that holds the
 * environment (LocoRuntimes.publishSnapshot). Needs loco.environment.manage,
 * like the scaffolder action loco:snapshot:publish, and is audited under the
 * same event id, refused attempts included.
 */
export async function createPublishRouter(
  options: PublishRouterOptions,
): Promise<express.Router> {
  const { runtimes, httpAuth, permissions, auditor } = options;
  const router = Router();
  router.post(
    '/environments/:env/instances/:index/publish',
    // Who is asking comes first: a caller without credentials gets 401, and
    // their body is never read.
    async (req, _res, next) => {
      await httpAuth.credentials(req, { allow: ['user', 'service'] });
      next();
    },
    express.json({ limit: '1kb' }),
    async (req, res) => {
      const { env, index } = parse(instanceParams, req.params);
      const { tag } = parse(publishBody, req.body ?? {});
      const event = await auditor.createEvent({
        eventId: 'loco-snapshot-publish',
        severityLevel: 'medium',
        request: req,
        meta: { environment: env, instance: index, snapshotTag: tag },
      });
      let published;
      try {
        await requirePermission(
          { httpAuth, permissions },
          req,
          locoEnvironmentManagePermission,
        );
        published = await runtimes.publishSnapshot(env, index, tag);
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
      await event.success({ meta: { digest: published.digest } });
      res.status(201).json({
        environment: env,
        index,
        tag: published.tag,
        digest: published.digest,
      });
    },
  );
  return router;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(z.prettifyError(result.error));
  return result.data;
}
