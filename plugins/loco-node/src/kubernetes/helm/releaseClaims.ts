import { CoreV1Api } from '@kubernetes/client-node';
import { kubeConfigFor } from '../kubernetesConfig';
import type { ReleaseTarget } from './releaseTarget';
import { claimsDisks, type LiveStorage } from './releaseStorage';

/**
 * The labels the chart puts on every instance's claim (the StatefulSet's
 * volumeClaimTemplates in chart/templates/statefulset.yaml): the release and
 * the emulator component. The hybrid mode's shared claim is a resource of
 * the release itself, which `helm uninstall` deletes.
 */
export function releaseClaimSelector(release: string): string {
  return `app.kubernetes.io/instance=${release},app.kubernetes.io/component=emulator`;
}

/** Deletes the instance disks (PersistentVolumeClaims) a release left behind. */
export interface ReleaseClaims {
  /** Deletes them; returns the names of the claims deleted. */
  delete(target: ReleaseTarget, release: string): Promise<string[]>;
}

/**
 * Through the Kubernetes API with the cluster's own credentials (the ones
 * Helm uses): `helm uninstall` deletes the StatefulSet but never its claims
 * (they are not release resources, and the chart's retention policy keeps
 * them), so a destroy that promises to delete the disks has to.
 */
export class ApiReleaseClaims implements ReleaseClaims {
  async delete(target: ReleaseTarget, release: string): Promise<string[]> {
    const api = kubeConfigFor(target.cluster).makeApiClient(CoreV1Api);
    const labelSelector = releaseClaimSelector(release);
    const { namespace } = target;
    const claims = await api.listNamespacedPersistentVolumeClaim({
      namespace,
      labelSelector,
    });
    const names = claims.items.map(c => c.metadata?.name ?? '?');
    if (names.length > 0) {
      await api.deleteCollectionNamespacedPersistentVolumeClaim({
        namespace,
        labelSelector,
      });
    }
    return names;
  }
}

/**
 * What a destroy leaves behind on purpose, in words (undefined: nothing).
 * Said before and after the uninstall, so no one believes the disks gone.
 */
export function keptAfterUninstall(
  release: string,
  target: ReleaseTarget,
  live: LiveStorage,
  deleteDisks: boolean,
): string | undefined {
  if (claimsDisks(live.mode)) {
    if (deleteDisks) return undefined;
    if (live.whenDeleted === 'Delete') return undefined;
    return (
      `The instances' disks are kept: PersistentVolumeClaims labelled ${releaseClaimSelector(
        release,
      )} in namespace ${target.namespace} on ${target.cluster.name} ` +
      '(their game state; a create of the same name finds them again). Destroy again with deleteDisks to delete them.'
    );
  }
  if (live.mode === 'hostpath') {
    return `The instances' disks are kept in ${
      live.hostPath || 'the host path'
    }/<environment> on the nodes: host directories cannot be deleted through Kubernetes; remove them on the nodes.`;
  }
  return undefined;
}
