import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { locoRuntimeServiceRef } from '@loco-portal/plugin-loco-node';
import { createLocoEnvironmentAction } from './actions/createEnvironment';

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
      },
      async init({ scaffolder, runtimes }) {
        scaffolder.addActions(createLocoEnvironmentAction({ runtimes }));
      },
    });
  },
});
