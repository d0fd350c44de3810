import { InputError } from '@backstage/errors';
import type {
  ClusterSettings,
  ProvisioningSettings,
} from '../../provisioning/provisioningConfig';

/** Where a release lives. */
export interface ReleaseTarget {
  cluster: ClusterSettings;
  namespace: string;
}

/** Picks the cluster and namespace; unknown or unwatched ones are input errors. */
export function resolveReleaseTarget(
  settings: ProvisioningSettings,
  clusterName?: string,
  namespace?: string,
): ReleaseTarget {
  const { clusters, helm } = settings;
  if (clusters.length === 0) {
    throw new InputError(
      'No Kubernetes clusters are configured (loco.kubernetes.clusters)',
    );
  }
  let cluster: ClusterSettings | undefined;
  if (clusterName) {
    cluster = clusters.find(c => c.name === clusterName);
    if (!cluster) {
      throw new InputError(
        `Unknown cluster "${clusterName}" (configured: ${clusters
          .map(c => c.name)
          .join(', ')})`,
      );
    }
  } else if (clusters.length === 1) {
    cluster = clusters[0];
  } else {
    throw new InputError(
      `Choose a cluster: ${clusters.map(c => c.name).join(', ')}`,
    );
  }
  const ns = namespace ?? cluster.namespaces[0] ?? helm.defaultNamespace;
  // Discovery only watches the listed namespaces: a release elsewhere would be invisible.
  if (cluster.namespaces.length > 0 && !cluster.namespaces.includes(ns)) {
    throw new InputError(
      `Namespace "${ns}" is not watched on cluster ${
        cluster.name
      } (watched: ${cluster.namespaces.join(', ')})`,
    );
  }
  return { cluster, namespace: ns };
}
