import {
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  Observable,
  KubeConfig,
  V1Pod,
  V1StatefulSet,
} from '@kubernetes/client-node';
import {
  LOCO_LABEL_VALUES,
  LOCO_LABELS,
} from '@loco-portal/plugin-loco-common';
import type { LocoMetrics } from '../metrics/LocoMetrics';
import { Backoff, ResourceWatch } from './ResourceWatch';

/**
 * The discovery contract with the chart: emulator pods and their StatefulSets
 * carry these labels. Filtering on the server keeps the watches small.
 */
export const EMULATOR_SELECTOR = [
  `${LOCO_LABELS.partOf}=${LOCO_LABEL_VALUES.partOf}`,
  `${LOCO_LABELS.component}=${LOCO_LABEL_VALUES.component}`,
  LOCO_LABELS.instance,
  LOCO_LABELS.environment,
].join(',');

/**
 * Request options that make a client-node call abortable: its generated
 * clients take no signal, but a middleware may set one on the request.
 */
export function abortable(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: context => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: response => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export interface ClusterStatus {
  /** Every collection has been listed at least once. */
  synced: boolean;
  /** Some watch is broken: what we hold is the last known state. */
  stale: boolean;
  /** Oldest confirmation over all watches of the cluster. */
  lastSyncAt: Date | null;
  error: string | null;
}

export interface ClusterWatcherOptions {
  name: string;
  kubeConfig: KubeConfig;
  /** Namespaces to watch; empty watches all namespaces. */
  namespaces: string[];
  backoff: Backoff;
  listTimeoutMs: number;
  metrics: LocoMetrics;
  onChange: () => void;
}

/**
 * One cluster's shared informers: emulator pods and their StatefulSets, per
 * watched namespace (or cluster-wide). Every listing of the portal reads from
 * these caches; nothing else talks to the API server for discovery.
 */
export class ClusterWatcher {
  private readonly podWatches: ResourceWatch<V1Pod>[];
  private readonly setWatches: ResourceWatch<V1StatefulSet>[];

  constructor(private readonly options: ClusterWatcherOptions) {
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const apps = options.kubeConfig.makeApiClient(AppsV1Api);
    const labelSelector = EMULATOR_SELECTOR;
    const scopes: (string | null)[] = options.namespaces.length
      ? options.namespaces
      : [null];
    const common = {
      kubeConfig: options.kubeConfig,
      labelSelector,
      backoff: options.backoff,
      listTimeoutMs: options.listTimeoutMs,
      onChange: options.onChange,
      onStatus: options.onChange,
      onListed: (seconds: number) =>
        options.metrics.discoverySyncSeconds.observe(
          { location: options.name },
          seconds,
        ),
      onError: () =>
        options.metrics.discoveryErrors.inc({ location: options.name }),
    };
    this.podWatches = scopes.map(
      namespace =>
        new ResourceWatch<V1Pod>({
          ...common,
          path: namespace
            ? `/api/v1/namespaces/${namespace}/pods`
            : '/api/v1/pods',
          list: signal =>
            namespace
              ? core.listNamespacedPod(
                  { namespace, labelSelector },
                  abortable(signal),
                )
              : core.listPodForAllNamespaces(
                  { labelSelector },
                  abortable(signal),
                ),
        }),
    );
    this.setWatches = scopes.map(
      namespace =>
        new ResourceWatch<V1StatefulSet>({
          ...common,
          path: namespace
            ? `/apis/apps/v1/namespaces/${namespace}/statefulsets`
            : '/apis/apps/v1/statefulsets',
          list: signal =>
            namespace
              ? apps.listNamespacedStatefulSet(
                  { namespace, labelSelector },
                  abortable(signal),
                )
              : apps.listStatefulSetForAllNamespaces(
                  { labelSelector },
                  abortable(signal),
                ),
        }),
    );
  }

  get name(): string {
    return this.options.name;
  }

  start(): void {
    for (const w of this.watches()) w.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches().map(w => w.stop()));
  }

  pods(): V1Pod[] {
    return this.podWatches.flatMap(w => w.objects());
  }

  statefulSets(): V1StatefulSet[] {
    return this.setWatches.flatMap(w => w.objects());
  }

  status(): ClusterStatus {
    const watches = this.watches();
    const failing = watches.find(w => w.failing);
    const times = watches.map(w => w.lastSyncAt);
    const lastSyncAt = times.includes(null)
      ? null
      : new Date(Math.min(...times.map(t => t!.getTime())));
    return {
      synced: watches.every(w => w.listed),
      stale: Boolean(failing),
      lastSyncAt,
      error: failing?.lastError ?? null,
    };
  }

  private watches(): ResourceWatch<any>[] {
    return [...this.podWatches, ...this.setWatches];
  }
}
