import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  locoRuntimeServiceRef,
  readProvisioningSettings,
} from '@loco-portal/plugin-loco-node';
import { createLocoEnvironmentAction } from './actions/createEnvironment';
import { destroyLocoEnvironmentAction } from './actions/destroyEnvironment';
import { updateLocoEnvironmentAction } from './actions/updateEnvironment';

/**
 * Registers the `loco:environment:*` scaffolder actions.
 *
 * @public
 */
export const scaffolderModuleLoco = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'loco',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        runtimes: locoRuntimeServiceRef,
        config: coreServices.rootConfig,
        permissions: coreServices.permissions,
      },
      async init({ scaffolder, runtimes, config, permissions }) {
        const deps = {
          runtimes,
          permissions,
          settings: readProvisioningSettings(config),
        };
        scaffolder.addActions(
          createLocoEnvironmentAction(deps),
          updateLocoEnvironmentAction(deps),
          destroyLocoEnvironmentAction(deps),
        );
      },
    });
  },
});
