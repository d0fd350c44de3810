import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { LocalRuntime } from './local/LocalRuntime';
import { readLocalRuntimeConfig } from './local/localConfig';
import { LocoRuntimes } from './runtime/LocoRuntimes';
import type { EmulatorRuntime } from './runtime/EmulatorRuntime';

/**
 * The Loco runtimes, shared by every backend plugin and module that needs them
 * (the loco backend plugin, the scaffolder module). Root-scoped so there is one
 * set of emulators per backend, stopped when the backend stops.
 */
export const locoRuntimeServiceRef = createServiceRef<LocoRuntimes>({
  id: 'loco.runtimes',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.rootLogger,
        lifecycle: coreServices.rootLifecycle,
      },
      async factory({ config, logger, lifecycle }) {
        const log = logger.child({ plugin: 'loco' });
        const runtimes: EmulatorRuntime[] = [];
        const localConfig = readLocalRuntimeConfig(config);
        if (localConfig.enabled) {
          const local = new LocalRuntime(localConfig, log);
          lifecycle.addShutdownHook(() => local.stop());
          await local.start();
          runtimes.push(local);
        }
        return new LocoRuntimes(runtimes);
      },
    }),
});
