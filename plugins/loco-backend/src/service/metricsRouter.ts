import express from 'express';
import Router from 'express-promise-router';
import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { locoEnvironmentReadPermission } from '@loco-portal/plugin-loco-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { requirePermission } from './requirePermission';

export interface MetricsRouterOptions {
  runtimes: LocoRuntimes;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
}

/**
 * `GET /api/loco/metrics`: the Loco registry in Prometheus text format. Not
 * public: Prometheus scrapes it with a static external-access token
 * (`backend.auth.externalAccess`, `type: static`), which arrives as a service
 * principal.
 */
export async function createMetricsRouter(
  options: MetricsRouterOptions,
): Promise<express.Router> {
  const { runtimes, httpAuth, permissions } = options;
  const registry = runtimes.metrics.registry;
  const instances = runtimes.metrics.instances;
  // Instance counts are read from the same in-memory listings the API serves,
  // at scrape time, so the gauge is never older than the scrape.
  (instances as unknown as { collect?: () => Promise<void> }).collect =
    async () => {
      const { items } = await runtimes.listEnvironments();
      instances.reset();
      for (const env of items) {
        for (const [state, count] of Object.entries(env.summary.counts)) {
          instances.set(
            { environment: env.name, location: env.location, state },
            count,
          );
        }
      }
    };

  const router = Router();
  router.get('/metrics', async (req, res) => {
    await requirePermission(
      { httpAuth, permissions },
      req,
      locoEnvironmentReadPermission,
    );
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
