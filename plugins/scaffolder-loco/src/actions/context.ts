import path from 'node:path';
import type {
  AuditorService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import { locoEnvironmentManagePermission } from '@loco-portal/plugin-loco-common';
import type {
  LocoRuntimes,
  ProvisionOptions,
} from '@loco-portal/plugin-loco-node';
import type { LocoActionSettings } from './settings';

/**
 * What the loco:environment:* actions need from the backend.
 *
 * @public
 */
export interface LocoActionDeps {
  runtimes: LocoRuntimes;
  /** From `readActionSettings(config)`. */
  settings: LocoActionSettings;
  /** Checks loco.environment.manage for the user running the template. */
  permissions: PermissionsService;
  /** Records every run (dry runs included) as one audit event. */
  auditor: AuditorService;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyContext = ActionContext<any, any>;

/**
 * The user who started the task must hold loco.environment.manage: the
 * scaffolder runs actions with its own service identity, so without this check
 * anyone allowed to run a template could create or destroy environments.
 */
export async function authorizeManage(deps: LocoActionDeps, ctx: AnyContext) {
  const credentials = await ctx.getInitiatorCredentials();
  const [decision] = await deps.permissions.authorize(
    [{ permission: locoEnvironmentManagePermission }],
    { credentials },
  );
  if (decision.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(
      `Missing permission ${locoEnvironmentManagePermission.name}`,
    );
  }
}

/** Scratch space for values and CA files: inside the task workspace, removed with it. */
export function helmWorkDir(ctx: AnyContext) {
  return path.join(ctx.workspacePath, '.loco-helm');
}

/**
 * How a Kubernetes change of an action runs: where, its wait, its work dir
 * (the task workspace), its log (the task log).
 */
export function helmRunOptions(
  ctx: AnyContext,
  target: { cluster: string; namespace: string },
  { wait, timeout }: { wait: boolean; timeout: string },
): ProvisionOptions {
  return {
    ...target,
    wait,
    timeout,
    workDir: helmWorkDir(ctx),
    logger: ctx.logger,
  };
}

/** Catalog entity ref and Loco tab path of an environment. */
export function environmentLinks(name: string) {
  return {
    entityRef: `resource:default/${name}`,
    locoUrl: `/catalog/default/resource/${name}/loco`,
  };
}
