import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { locoRuntimeServiceRef } from '@loco-portal/plugin-loco-node';
import { createLocoEnvironmentAction } from './actions/createEnvironment';
import { destroyLocoEnvironmentAction } from './actions/destroyEnvironment';
import { publishLocoSnapshotAction } from './actions/publishSnapshot';
import { readActionSettings } from './actions/settings';
import { updateLocoEnvironmentAction } from './actions/updateEnvironment';

/**
 * Registers the `loco:environment:*` and `loco:snapshot:publish` scaffolder actions.
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
        auditor: coreServices.auditor,
      },
      async init({ scaffolder, runtimes, config, permissions, auditor }) {
        const deps = {
          runtimes,
          permissions,
          auditor,
          settings: readActionSettings(config),
        };
        scaffolder.addActions(
          createLocoEnvironmentAction(deps),
          updateLocoEnvironmentAction(deps),
          destroyLocoEnvironmentAction(deps),
          publishLocoSnapshotAction(deps),
        );
      },
    });
  },
});
