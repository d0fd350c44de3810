import express from 'express';
import Router from 'express-promise-router';
import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { locoEnvironmentReadPermission } from '@loco-portal/plugin-loco-common';
import {
  listRegistryTags,
  LocoRuntimes,
  provisioningOptions,
  ProvisioningSettings,
} from '@loco-portal/plugin-loco-node';
import { requirePermission } from './requirePermission';

export interface OptionsRouterOptions {
  runtimes: LocoRuntimes;
  settings: ProvisioningSettings;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
}

/**
 * GET /options: what the "Create Loco environment" form may offer (enabled
 * runtimes, snapshot tags per runtime, cluster names and their namespaces),
 * and `registryTags.local`: the tags `loco.local.snapshots.registry` holds
 * now, or why they are unknown (null without a registry). Asked on each
 * request: a tag published a minute ago is offered.
 * The same settings drive the scaffolder actions' checks, so the form never
 * offers what the action would refuse. No credentials are ever included.
 */
export async function createOptionsRouter(
  options: OptionsRouterOptions,
): Promise<express.Router> {
  const { runtimes, settings, httpAuth, permissions } = options;
  const router = Router();
  router.get('/options', async (req, res) => {
    await requirePermission(
      { httpAuth, permissions },
      req,
      locoEnvironmentReadPermission,
    );
    const offered = provisioningOptions(settings, runtimes.kinds());
    const local =
      settings.localSnapshots && offered.runtimes.includes('local')
        ? await listRegistryTags(settings.localSnapshots)
        : null;
    res.json({ ...offered, registryTags: { local } });
  });
  return router;
}
