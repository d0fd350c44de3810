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
 * and `registryTags`: per runtime, the tags its registry holds now
 * (`local`: loco.local.snapshots.registry; `kubernetes`:
 * loco.helm.snapshotRegistry), or why they are unknown (null without a
 * registry). Asked on each request, both at once: a tag published a minute
 * ago is offered.
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
    const { helm } = settings;
    const [local, kubernetes] = await Promise.all([
      settings.localSnapshots && offered.runtimes.includes('local')
        ? listRegistryTags(settings.localSnapshots)
        : null,
      helm.snapshotRegistry && offered.runtimes.includes('kubernetes')
        ? listRegistryTags({
            registry: helm.snapshotRegistry,
            ...helm.snapshotRegistryCredentials,
          })
        : null,
    ]);
    res.json({ ...offered, registryTags: { local, kubernetes } });
  });
  return router;
}
