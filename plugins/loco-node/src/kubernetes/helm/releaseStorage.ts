import { InputError } from '@backstage/errors';

/**
 * A release's storage as it is deployed (`helm get values --all`: the chart
 * defaults of its revision merged with the user's values). Only these say
 * what its StatefulSet's volumeClaimTemplates hold.
 */
export interface LiveStorage {
  mode: string;
  size: string;
  storageClassName: string;
  /** storage.retentionPolicy.whenDeleted: Retain keeps the claims after an uninstall. */
  whenDeleted: string;
  hostPath: string;
}

export function liveStorage(values: unknown): LiveStorage {
  const storage = (values as { storage?: Record<string, any> })?.storage ?? {};
  return {
    mode: String(storage.mode ?? ''),
    size: String(storage.size ?? ''),
    storageClassName: String(storage.storageClassName ?? ''),
    whenDeleted: String(storage.retentionPolicy?.whenDeleted ?? 'Retain'),
    hostPath: String(storage.hostPath?.path ?? ''),
  };
}

/** Modes whose disks are PersistentVolumeClaims made from volumeClaimTemplates. */
export function claimsDisks(mode: string): boolean {
  return mode === 'persistent' || mode === 'hybrid';
}

/**
 * The storage values an update writes. Kubernetes refuses any change of a
 * StatefulSet's volumeClaimTemplates (apps/v1 validation: "updates to
 * statefulset spec for fields other than 'replicas', 'ordinals', 'template',
 * 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and
 * 'minReadySeconds' are forbidden"), so for a release with claims:
 * - a size change asked for is refused here, before Helm runs, with why;
 * - mode, size and class are pinned to the deployed ones, so that a newer
 *   chart default (taken by --reset-then-reuse-values) cannot change them
 *   behind the user's back and fail the upgrade with Helm's raw error.
 * Without claims (ephemeral: an emptyDir size limit) the size may change.
 */
export function storageUpdate(
  name: string,
  live: LiveStorage,
  change: { storageSize?: string },
): Record<string, string> {
  if (claimsDisks(live.mode)) {
    if (change.storageSize !== undefined && change.storageSize !== live.size) {
      throw new InputError(
        `${name} keeps its disks in PersistentVolumeClaims (storage mode ${live.mode}, ${live.size} each): ` +
          `Kubernetes cannot change the claims of a running StatefulSet, so the size cannot change from ${live.size} to ${change.storageSize}. ` +
          'Nothing was changed. Expand the claims themselves (if their StorageClass allows it), or create a new environment with the new size.',
      );
    }
    return {
      mode: live.mode,
      size: live.size,
      storageClassName: live.storageClassName,
    };
  }
  if (change.storageSize !== undefined && live.mode === 'hostpath') {
    throw new InputError(
      `${name} keeps its disks in host directories (storage mode hostpath): they have no size to change. Nothing was changed.`,
    );
  }
  return {
    ...(live.mode ? { mode: live.mode } : {}),
    ...(change.storageSize !== undefined ? { size: change.storageSize } : {}),
  };
}
