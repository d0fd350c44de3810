import type { Duplex } from 'node:stream';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import type {
  LocoEnvironment,
  LocationError,
} from '@loco-portal/plugin-loco-common';
import type {
  EmulatorRuntime,
  EnvironmentChange,
  EnvironmentSpec,
  InstanceAction,
  ProvisionOptions,
  ProvisionPlan,
  ProvisionPlanner,
  PublishedSnapshot,
  RuntimeListing,
  VncOpenOptions,
} from '../runtime/EmulatorRuntime';
import type { ProvisioningSettings } from '../provisioning/provisioningConfig';
import { HelmEnvironments, ReleaseLocation } from './helm/HelmEnvironments';
import { LocoMetrics } from '../metrics/LocoMetrics';
import { ClusterWatcher } from './ClusterWatcher';
import { describeEnvironments, podIndex, podKey } from './describeEnvironments';
import { HealthPoller } from './HealthPoller';
import { ClusterConfig, kubeConfigFor } from './kubernetesConfig';
import { agentError, agentRequest, fetchHealthOver } from './agentClient';
import { AgentTokens } from './agentTokens';
import {
  connectToPod,
  DEFAULT_EMULATOR_PORTS,
  EmulatorPorts,
} from './podConnection';
import {
  AGENT_ACTIONS,
  AGENT_CONTROL_ROUTES,
  LOCO_LABELS,
  snapshotTagProblem,
  type AgentAction,
  type AgentPublishRequest,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod';

/** savevm/loadvm of a large guest take long; the agent's own QMP limit is 120 s. */
const ACTION_TIMEOUT_MS = 130_000;
const SCREENSHOT_TIMEOUT_MS = 10_000;
/** A publish copies the whole disk, then uploads it: a bound, not a goal. */
const PUBLISH_TIMEOUT_MS = 60 * 60_000;

/** The agent's publish answer (AgentPublishResponse). */
const publishedSchema = z.object({
  tag: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
});

/**
 * Tunables; the defaults suit production, tests shorten them.
 *
 * @public
 */
export interface KubernetesRuntimeOptions {
  clusters: ClusterConfig[];
  logger: LoggerService;
  metrics?: LocoMetrics;
  ports?: EmulatorPorts;
  backoff?: { initialMs: number; maxMs: number };
  listTimeoutMs?: number;
  health?: {
    intervalMs?: number;
    timeoutMs?: number;
    concurrency?: number;
    failureThreshold?: number;
    cooldownMs?: number;
  };
  /** Builds the client config; tests may swap it, production uses config. */
  kubeConfigFor?: (cluster: ClusterConfig) => KubeConfig;
  /**
   * How environments are created, changed and destroyed (`loco.helm` and the
   * clusters' credentials, from readProvisioningSettings). Without it those
   * calls are refused.
   */
  provisioning?: ProvisioningSettings;
}

interface Cluster {
  config: ClusterConfig;
  kubeConfig: KubeConfig;
  watcher: ClusterWatcher;
  poller: HealthPoller<V1Pod>;
}

/**
 * Environments running on Kubernetes clusters, found by watching (never
 * polling) emulator pods and StatefulSets. Listings are computed from the
 * informer caches and the health poller's results, so a page load never
 * reaches an API server.
 *
 * @public
 */
export class KubernetesRuntime implements EmulatorRuntime, ProvisionPlanner {
  readonly kind = 'kubernetes' as const;
  private readonly clusters: Cluster[];
  private readonly listeners = new Set<() => void>();
  private readonly ports: EmulatorPorts;
  private readonly tokens = new AgentTokens();
  /** The listing as of the last change or clock tick; requests only read it. */
  private cache: RuntimeListing | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private readonly helm: HelmEnvironments | undefined;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    const metrics = options.metrics ?? new LocoMetrics();
    this.ports = options.ports ?? DEFAULT_EMULATOR_PORTS;
    const makeKubeConfig = options.kubeConfigFor ?? kubeConfigFor;
    this.helm =
      options.provisioning &&
      new HelmEnvironments(options.provisioning, options.logger, name =>
        this.releaseOf(name),
      );
    this.clusters = options.clusters.map(config => {
      const kubeConfig = makeKubeConfig(config);
      const watcher = new ClusterWatcher({
        name: config.name,
        kubeConfig,
        namespaces: config.namespaces,
        backoff: options.backoff ?? { initialMs: 1000, maxMs: 30_000 },
        listTimeoutMs: options.listTimeoutMs ?? 15_000,
        metrics,
        onChange: () => this.watcherChanged(config.name),
      });
      const h = options.health ?? {};
      // Through the API server every probe is a port-forward: probe less often.
      const defaultInterval =
        config.emulatorAccess === 'portForward' ? 30_000 : 10_000;
      const poller = new HealthPoller<V1Pod>({
        location: config.name,
        intervalMs: h.intervalMs ?? defaultInterval,
        timeoutMs: h.timeoutMs ?? 2_000,
        concurrency: h.concurrency ?? 16,
        failureThreshold: h.failureThreshold ?? 20,
        cooldownMs: h.cooldownMs ?? 60_000,
        targets: () =>
          new Map(
            watcher
              .pods()
              .filter(p => p.status?.phase === 'Running')
              .map(p => [podKey(p), p] as const),
          ),
        probe: (pod, timeoutMs) =>
          fetchHealthOver(
            () =>
              connectToPod(
                config.emulatorAccess,
                kubeConfig,
                pod,
                this.ports.health,
              ),
            timeoutMs,
          ),
        onProbeSeconds: s =>
          metrics.healthCheckSeconds.observe({ location: config.name }, s),
        onRound: () => this.changed(),
      });
      return { config, kubeConfig, watcher, poller };
    });
  }

  start(): void {
    // Health states depend on the clock (startup grace, stale screens):
    // refresh the cached listing every second off the request path.
    this.clockTimer = setInterval(() => {
      this.cache = this.compute();
    }, 1000);
    this.clockTimer.unref?.();
    for (const c of this.clusters) {
      c.watcher.start();
      c.poller.start();
      this.options.logger.info(
        `Watching Loco emulators in Kubernetes cluster ${
          c.config.name
        } (namespaces: ${
          c.config.namespaces.join(', ') || 'all'
        }, emulator access: ${c.config.emulatorAccess})`,
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.clockTimer);
    await Promise.all(
      this.clusters.flatMap(c => [c.watcher.stop(), c.poller.stop()]),
    );
  }

  /** Subscribes to any change of what a listing would return; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async listEnvironments(): Promise<RuntimeListing> {
    this.cache ??= this.compute();
    return this.cache;
  }

  private compute(): RuntimeListing {
    const now = new Date();
    const items: LocoEnvironment[] = [];
    const errors: LocationError[] = [];
    for (const c of this.clusters) {
      const status = c.watcher.status();
      if (status.error || !status.synced) {
        errors.push({
          location: c.config.name,
          message: status.error
            ? `${
                status.stale && status.synced
                  ? 'serving last known state: '
                  : ''
              }${status.error}`
            : 'not synced yet',
        });
      }
      items.push(
        ...describeEnvironments(
          {
            cluster: c.config.name,
            pods: c.watcher.pods(),
            statefulSets: c.watcher.statefulSets(),
            probes: c.poller.results,
            status,
          },
          now,
        ),
      );
    }
    return { items, errors };
  }

  async openVnc(
    environment: string,
    index: number,
    options?: VncOpenOptions,
  ): Promise<Duplex> {
    const { cluster, pod } = this.locate(environment, index);
    return connectToPod(
      cluster.config.emulatorAccess,
      cluster.kubeConfig,
      pod,
      this.ports.vnc,
      options?.onread,
    );
  }

  /** A PNG taken by QEMU, through the pod's emulator agent. */
  async screenshot(environment: string, index: number): Promise<Buffer> {
    return this.callAgent(
      environment,
      index,
      'GET',
      AGENT_CONTROL_ROUTES.screenshot,
      SCREENSHOT_TIMEOUT_MS,
    );
  }

  /**
   * `restart` deletes the pod (its StatefulSet creates it again, as a
   * container restart would not start from a clean run directory); save,
   * restore and reset are the pod's emulator agent's, which runs them exactly
   * as the local runtime does.
   */
  async runAction(
    environment: string,
    index: number,
    action: InstanceAction,
  ): Promise<void> {
    if (action === 'restart') {
      const { cluster, pod } = this.locate(environment, index);
      await cluster.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
      });
      return;
    }
    if (!(AGENT_ACTIONS as readonly string[]).includes(action)) {
      throw new InputError(`Unknown action "${String(action)}"`);
    }
    await this.callAgent(
      environment,
      index,
      'POST',
      AGENT_CONTROL_ROUTES.action(action as AgentAction),
      ACTION_TIMEOUT_MS,
    );
  }

  /**
   * The pod's emulator agent publishes its instance (disk and RAM state) as
   * `tag` in the environment's snapshot registry, with the push credentials
   * mounted in the pod (docs/snapshots.md). Callers check
   * loco.environment.manage.
   */
  async publishSnapshot(
    environment: string,
    index: number,
    tag: string,
  ): Promise<PublishedSnapshot> {
    const problem = snapshotTagProblem(tag);
    if (problem) throw new InputError(problem);
    const request: AgentPublishRequest = { tag };
    const body = await this.callAgent(
      environment,
      index,
      'POST',
      AGENT_CONTROL_ROUTES.publish,
      PUBLISH_TIMEOUT_MS,
      request,
    );
    const parsed = publishedSchema.safeParse(
      (() => {
        try {
          return JSON.parse(body.toString('utf8'));
        } catch {
          return undefined;
        }
      })(),
    );
    if (!parsed.success || parsed.data.tag !== tag) {
      throw new Error(
        `emulator agent of ${environment}-${index} published ${tag} but its answer names no digest`,
      );
    }
    return parsed.data;
  }

  /** One control call with the release's token; a refused token is read again once. */
  private async callAgent(
    environment: string,
    index: number,
    method: 'GET' | 'POST',
    path: string,
    timeoutMs: number,
    json?: unknown,
  ): Promise<Buffer> {
    const { cluster, pod } = this.locate(environment, index);
    const connect = () =>
      connectToPod(
        cluster.config.emulatorAccess,
        cluster.kubeConfig,
        pod,
        this.ports.health,
      );
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.get(
        cluster.config.name,
        cluster.kubeConfig,
        pod,
        { fresh: attempt > 1 },
      );
      const res = await agentRequest(
        connect,
        { method, path, token, json },
        timeoutMs,
      );
      if (res.status >= 200 && res.status < 300) return res.body;
      if (res.status !== 403 || attempt > 1)
        throw agentError(`${environment}-${index}`, res);
    }
  }

  resolveTarget(options?: ProvisionOptions) {
    return this.provisioner().resolveTarget(options);
  }

  planCreate(
    spec: EnvironmentSpec,
    options?: ProvisionOptions,
  ): Promise<ProvisionPlan> {
    return this.provisioner().planCreate(spec, options);
  }

  planUpdate(
    name: string,
    change: EnvironmentChange,
    options?: ProvisionOptions,
  ): Promise<ProvisionPlan> {
    return this.provisioner().planUpdate(name, change, options);
  }

  planDestroy(
    name: string,
    options?: ProvisionOptions,
  ): Promise<ProvisionPlan> {
    return this.provisioner().planDestroy(name, options);
  }

  /** Installs the environment as a Helm release of the chart (see HelmEnvironments). */
  async createEnvironment(
    spec: EnvironmentSpec,
    options?: ProvisionOptions,
  ): Promise<void> {
    await (await this.planCreate(spec, options)).apply();
  }

  async updateEnvironment(
    name: string,
    change: EnvironmentChange,
    options?: ProvisionOptions,
  ): Promise<void> {
    await (await this.planUpdate(name, change, options)).apply();
  }

  async destroyEnvironment(
    name: string,
    options?: ProvisionOptions,
  ): Promise<void> {
    await (await this.planDestroy(name, options)).apply();
  }

  private provisioner(): HelmEnvironments {
    if (!this.helm) {
      throw new ServiceUnavailableError(
        'This Kubernetes runtime was built without provisioning settings (loco.helm)',
      );
    }
    return this.helm;
  }

  /** Where discovery sees an environment's release (its StatefulSet, else a pod). */
  private releaseOf(name: string): ReleaseLocation | undefined {
    for (const cluster of this.clusters ?? []) {
      const objects = [
        ...cluster.watcher.statefulSets(),
        ...cluster.watcher.pods(),
      ];
      const found = objects.find(
        o => o.metadata?.labels?.[LOCO_LABELS.environment] === name,
      );
      if (found) {
        return {
          cluster: cluster.config.name,
          namespace: found.metadata?.namespace ?? 'default',
          release: found.metadata?.labels?.[LOCO_LABELS.instance] ?? name,
        };
      }
    }
    return undefined;
  }

  private locate(
    environment: string,
    index: number,
  ): { cluster: Cluster; pod: V1Pod } {
    for (const cluster of this.clusters) {
      const pod = cluster.watcher
        .pods()
        .find(
          p =>
            p.metadata?.labels?.[LOCO_LABELS.environment] === environment &&
            podIndex(p) === index,
        );
      if (pod) return { cluster, pod };
    }
    throw new NotFoundError(
      `Environment ${environment} has no running instance ${index}`,
    );
  }

  /** Pods may have appeared: their first health probe should not wait a full interval. */
  private watcherChanged(cluster: string): void {
    this.changed();
    this.clusters?.find(c => c.config.name === cluster)?.poller.nudge();
  }

  private changed(): void {
    this.cache = undefined;
    for (const listener of this.listeners) listener();
  }
}
