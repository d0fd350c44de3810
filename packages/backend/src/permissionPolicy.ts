import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  locoEnvironmentManagePermission,
  locoInstanceControlPermission,
} from '@loco-portal/plugin-loco-common';

/** Permissions a view-only user is refused: typing into screens, restarts, snapshots, changes. */
const CONTROL_PERMISSIONS = new Set([
  locoInstanceControlPermission.name,
  locoEnvironmentManagePermission.name,
]);

const refSet = (refs: string[]) =>
  new Set(refs.map(r => r.toLocaleLowerCase('en-US')));

/**
 * The demo portal's policy: everyone signed in may do everything, except the
 * users listed in `locoPortal.permissions.viewOnlyUsers` (entity refs such as
 * `user:development/guest`), who may watch Loco screens but not control them,
 * and, when `locoPortal.permissions.managers` is set, everyone not listed
 * there, who may play but not manage (take seats over, save snapshots, change
 * environments). Replace it with your own policy; the Loco permissions are
 * `loco.environment.read`, `loco.instance.control` and `loco.environment.manage`.
 */
export class DemoPolicy implements PermissionPolicy {
  constructor(
    private readonly viewOnlyUsers: ReadonlySet<string>,
    /** Undefined: everyone (not view-only) manages. */
    private readonly managers?: ReadonlySet<string>,
  ) {}

  static fromConfig(config: Config): DemoPolicy {
    const users =
      config.getOptionalStringArray('locoPortal.permissions.viewOnlyUsers') ??
      [];
    const managers = config.getOptionalStringArray(
      'locoPortal.permissions.managers',
    );
    return new DemoPolicy(refSet(users), managers && refSet(managers));
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    const ref = user.info.userEntityRef.toLocaleLowerCase('en-US');
    if (
      this.viewOnlyUsers.has(ref) &&
      CONTROL_PERMISSIONS.has(request.permission.name)
    ) {
      return { result: AuthorizeResult.DENY };
    }
    if (
      this.managers &&
      !this.managers.has(ref) &&
      request.permission.name === locoEnvironmentManagePermission.name
    ) {
      return { result: AuthorizeResult.DENY };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'loco-portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(DemoPolicy.fromConfig(config));
      },
    });
  },
});
