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

/**
 * The demo portal's policy: everyone signed in may do everything, except the
 * users listed in `locoPortal.permissions.viewOnlyUsers` (entity refs such as
 * `user:development/guest`), who may watch Loco screens but not control them.
 * Replace it with your own policy; the Loco permissions are
 * `loco.environment.read`, `loco.instance.control` and `loco.environment.manage`.
 */
export class DemoPolicy implements PermissionPolicy {
  constructor(private readonly viewOnlyUsers: ReadonlySet<string>) {}

  static fromConfig(config: Config): DemoPolicy {
    const users =
      config.getOptionalStringArray('locoPortal.permissions.viewOnlyUsers') ??
      [];
    return new DemoPolicy(
      new Set(users.map(u => u.toLocaleLowerCase('en-US'))),
    );
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
