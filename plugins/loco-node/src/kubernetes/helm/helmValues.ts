import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  SnapshotFallback,
  StorageMode,
} from '@loco-portal/plugin-loco-common';
import yaml from 'yaml';

/** What a create asks the chart for. */
export interface ReleaseSpec {
  name: string;
  owner: string;
  instances: number;
  storageMode: StorageMode;
  snapshotTag: string;
  snapshotRegistry: string;
  /** Names of dockerconfigjson Secrets for pulls and publishes (loco.helm.snapshotRegistrySecrets). */
  snapshotRegistrySecrets?: { pull?: string; push?: string };
  /** The chart's snapshot.fallback; unset keeps the chart's default (the same as loco-common's). */
  snapshotFallback?: SnapshotFallback;
}

/**
 * The values file for `helm upgrade --install`, keyed exactly as chart/values.yaml
 * (values.schema.json rejects unknown keys). Helm deep-merges it over the chart's
 * defaults; the chart derives the discovery labels (loco.dev/environment,
 * loco.dev/owner, loco.dev/owner-ref) from environment.name and environment.owner.
 */
export function releaseValues(spec: ReleaseSpec) {
  return {
    environment: { name: spec.name, owner: spec.owner },
    instances: spec.instances,
    storage: { mode: spec.storageMode },
    snapshot: {
      tag: spec.snapshotTag,
      registry: spec.snapshotRegistry,
      ...(spec.snapshotRegistrySecrets?.pull
        ? { registryConfigSecret: spec.snapshotRegistrySecrets.pull }
        : {}),
      ...(spec.snapshotRegistrySecrets?.push
        ? { publishConfigSecret: spec.snapshotRegistrySecrets.push }
        : {}),
      ...(spec.snapshotFallback ? { fallback: spec.snapshotFallback } : {}),
    },
    ...modeValues(spec.storageMode),
  };
}

/**
 * What chart/presets/<mode>.yaml sets beyond the mode and that a release of
 * that mode cannot start without. hostpath: the kubelet creates the node
 * directory root-owned, so without the chart's root chown init container the
 * non-root disk preparation exits 1 (Init:CrashLoopBackOff).
 */
function modeValues(mode: StorageMode) {
  return mode === 'hostpath' ? { volumePermissions: { enabled: true } } : {};
}

/** Only what an update changes; the rest comes from the release (--reset-then-reuse-values). */
export function changeValues(change: {
  instances?: number;
  snapshotTag?: string;
  snapshotFallback?: SnapshotFallback;
}) {
  const snapshot = {
    ...(change.snapshotTag !== undefined ? { tag: change.snapshotTag } : {}),
    ...(change.snapshotFallback !== undefined
      ? { fallback: change.snapshotFallback }
      : {}),
  };
  return {
    ...(change.instances !== undefined ? { instances: change.instances } : {}),
    ...(Object.keys(snapshot).length > 0 ? { snapshot } : {}),
  };
}

/** Writes a values file (YAML) and returns its path. Values never go through --set. */
export async function writeValuesFile(
  dir: string,
  fileName: string,
  values: object,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, fileName);
  await writeFile(file, yaml.stringify(values), { mode: 0o600 });
  return file;
}
