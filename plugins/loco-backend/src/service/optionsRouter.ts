import express from 'express';
import Router from 'express-promise-router';
import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { locoEnvironmentReadPermission } from '@loco-portal/plugin-loco-common';
import {
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
 * runtimes, snapshot tags per runtime, cluster names and their namespaces).
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
    res.json(provisioningOptions(settings, runtimes.kinds()));
  });
  return router;
}
