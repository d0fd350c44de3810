import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { locoRuntimeServiceRef } from '@loco-portal/plugin-loco-node';
import { LocoEntityProvider } from './LocoEntityProvider';

/**
 * Catalog module: Loco environments as catalog entities. Listings come from
 * the runtimes' memory, so refreshing often costs nothing outside the process.
 *
 * @public
 */
export const catalogModuleLoco = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'loco',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        runtimes: locoRuntimeServiceRef,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
      },
      async init({ catalog, runtimes, scheduler, logger, config }) {
        const provider = new LocoEntityProvider({
          runtimes,
          logger,
          appBaseUrl: config.getString('app.baseUrl'),
          configDefined: new Set(
            (
              config.getOptionalConfigArray('loco.local.environments') ?? []
            ).map(env => env.getString('name')),
          ),
        });
        catalog.addEntityProvider(provider);
        // Local scope: the environments are in this process's memory.
        await scheduler.scheduleTask({
          id: 'loco-environments-to-catalog',
          scope: 'local',
          frequency: { seconds: 10 },
          timeout: { seconds: 30 },
          fn: async () => {
            await provider.refresh();
          },
        });
      },
    });
  },
});
