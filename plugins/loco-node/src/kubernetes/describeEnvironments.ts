import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import {
  LOCO_LABELS,
  STORAGE_MODES,
  StorageMode,
  summarizeStates,
  type LocoEnvironment,
  type LocoInstance,
} from '@loco-portal/plugin-loco-common';
import { NOT_STARTED_FACTS } from '../health/deriveInstanceHealth';
import type { ClusterStatus } from './ClusterWatcher';
import { podInstanceHealth, ProbeResult } from './podHealth';

/** Set by Kubernetes ≥ 1.28 on StatefulSet pods; the pod name suffix otherwise. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The owner's entity ref, as the chart writes it (labels cannot hold `:` or `/`). */
export const OWNER_REF_ANNOTATION = 'loco.dev/owner-ref';
/** Optional annotations; when absent the value is inferred or left unknown. */
export const STORAGE_MODE_ANNOTATION = 'loco.dev/storage-mode';
export const SNAPSHOT_TAG_ANNOTATION = 'loco.dev/snapshot-tag';

export interface ClusterView {
  cluster: string;
  pods: V1Pod[];
  statefulSets: V1StatefulSet[];
  probes: ReadonlyMap<string, ProbeResult>;
  status: ClusterStatus;
}

/**
 * The key of health results: the pod's uid, so a re-created pod (same name,
 * new IP) never inherits its predecessor's probe and gets probed at once.
 */
export function podKey(pod: V1Pod): string {
  return (
    pod.metadata?.uid ??
    `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`
  );
}

export function podIndex(pod: V1Pod): number | null {
  const label = pod.metadata?.labels?.[POD_INDEX_LABEL];
  const raw = label ?? /-(\d+)$/.exec(pod.metadata?.name ?? '')?.[1];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/**
 * Turns one cluster's cached pods and StatefulSets into environments. Pure, so
 * the listing is computed from memory and tested without a cluster.
 */
export function describeEnvironments(
  view: ClusterView,
  now: Date,
): LocoEnvironment[] {
  const envOf = (o: V1Pod | V1StatefulSet) =>
    o.metadata?.labels?.[LOCO_LABELS.environment];
  // One pass to group: listings are recomputed every second at 1,000+ pods.
  const groups = new Map<string, { sets: V1StatefulSet[]; pods: V1Pod[] }>();
  const group = (name: string) => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { sets: [], pods: [] }));
    return g;
  };
  for (const s of view.statefulSets) {
    const env = envOf(s);
    if (env) group(env).sets.push(s);
  }
  for (const p of view.pods) {
    const env = envOf(p);
    if (env) group(env).pods.push(p);
  }
  const lastSyncAt = view.status.lastSyncAt?.toISOString() ?? null;

  return [...groups].map(([name, { sets, pods }]) => {
    const desired = sets.length
      ? sets.reduce((sum, s) => sum + (s.spec?.replicas ?? 1), 0)
      : pods.length;

    const byIndex = new Map<number, V1Pod>();
    for (const pod of pods) {
      const index = podIndex(pod);
      if (index !== null) byIndex.set(index, pod);
    }
    const indices = new Set<number>([...byIndex.keys()]);
    for (let i = 0; i < desired; i++) indices.add(i);

    const instances: LocoInstance[] = [...indices]
      .sort((a, b) => a - b)
      .map(index => {
        const pod = byIndex.get(index);
        if (!pod) return missingInstance(name, index, now);
        const health = podInstanceHealth(
          pod,
          view.probes.get(podKey(pod)),
          now,
        );
        return {
          index,
          name: pod.metadata?.name ?? `${name}-${index}`,
          state: health.state,
          health,
        };
      });

    const meta = sets[0]?.metadata ?? pods[0]?.metadata;
    return {
      name,
      runtime: 'kubernetes',
      location: view.cluster,
      // The release's namespace: its StatefulSet and pods share it.
      ...(meta?.namespace ? { namespace: meta.namespace } : {}),
      owner: meta?.annotations?.[OWNER_REF_ANNOTATION] || null,
      storageMode: storageModeOf(sets[0]),
      snapshotTag: meta?.annotations?.[SNAPSHOT_TAG_ANNOTATION] || null,
      desiredInstances: desired,
      instances,
      summary: summarizeStates(instances.map(i => i.state)),
      stale: view.status.stale,
      lastSyncAt,
    } satisfies LocoEnvironment;
  });
}

/** Desired but not created yet (scaling up, or the StatefulSet controller is behind). */
function missingInstance(env: string, index: number, now: Date): LocoInstance {
  return {
    index,
    name: `${env}-${index}`,
    state: 'starting',
    health: {
      state: 'starting',
      reasons: ['pod not created yet'],
      facts: NOT_STARTED_FACTS,
      checkedAt: now.toISOString(),
    },
  };
}

/**
 * The chart does not label the storage mode; read it from an annotation when
 * present, otherwise from the volumes the chart generates for each mode.
 */
function storageModeOf(set: V1StatefulSet | undefined): StorageMode {
  const annotated = set?.metadata?.annotations?.[STORAGE_MODE_ANNOTATION];
  if (annotated && (STORAGE_MODES as readonly string[]).includes(annotated)) {
    return annotated as StorageMode;
  }
  const volumes = set?.spec?.template?.spec?.volumes ?? [];
  if (volumes.some(v => v.hostPath)) return 'hostpath';
  if (set?.spec?.volumeClaimTemplates?.length) {
    return volumes.some(v => v.persistentVolumeClaim) ? 'hybrid' : 'persistent';
  }
  return 'ephemeral';
}
