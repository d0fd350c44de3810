import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { LocalRuntime } from './local/LocalRuntime';
import { readLocalRuntimeConfig } from './local/localConfig';
import { LocoRuntimes } from './runtime/LocoRuntimes';
import type { EmulatorRuntime } from './runtime/EmulatorRuntime';
import { KubernetesRuntime } from './kubernetes/KubernetesRuntime';
import { readKubernetesConfig } from './kubernetes/kubernetesConfig';
import { readProvisioningSettings } from './provisioning/provisioningConfig';
import { LocoMetrics } from './metrics/LocoMetrics';

/**
 * The Loco runtimes, shared by every backend plugin and module that needs them
 * (the loco backend plugin, the scaffolder module). Root-scoped so there is one
 * set of emulators per backend, stopped when the backend stops.
 *
 * @public
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
        const metrics = new LocoMetrics();
        // Read before anything starts, so a config error stops startup cleanly.
        const { clusters, from, notes } = readKubernetesConfig(config);
        for (const note of notes) log.warn(note);
        const provisioning = readProvisioningSettings(config);
        const localConfig = readLocalRuntimeConfig(config);
        if (localConfig.enabled) {
          const local = new LocalRuntime(localConfig, log);
          lifecycle.addShutdownHook(() => local.stop());
          await local.start();
          runtimes.push(local);
        }
        if (clusters.length === 0) {
          // Said once, at startup; never an exit: the local runtime works alone.
          log.info(
            'No Kubernetes clusters configured (loco.kubernetes.clusters, or type config in kubernetes.clusterLocatorMethods): Loco runs local-only',
          );
        } else {
          log.info(
            `Kubernetes clusters from ${from}: ${clusters
              .map(c => c.name)
              .join(', ')}`,
          );
          const kubernetes = new KubernetesRuntime({
            clusters,
            logger: log,
            metrics,
            // Create, update and destroy: Helm releases of the chart.
            provisioning,
          });
          lifecycle.addShutdownHook(() => kubernetes.stop());
          kubernetes.start(); // watches connect in the background; failures show per cluster
          runtimes.push(kubernetes);
        }
        return new LocoRuntimes(runtimes, metrics);
      },
    }),
});
