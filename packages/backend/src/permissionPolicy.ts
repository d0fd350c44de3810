import { createBackendModule } from '@backstage/backend-plugin-api';
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

/**
 * The demo portal's policy: everyone signed in may do everything. Replace it
 * with your own policy; the Loco permissions are `loco.environment.read`,
 * `loco.instance.control` and `loco.environment.manage`.
 */
class AllowSignedInPolicy implements PermissionPolicy {
  async handle(_request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    return { result: user ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'loco-portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new AllowSignedInPolicy());
      },
    });
  },
});
