import type { OnReadOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  LocoEnvironment,
  LocoRuntimeKind,
  LocationError,
  SnapshotFallback,
  StorageMode,
} from '@loco-portal/plugin-loco-common';

/**
 * What a caller may ask one instance to do.
 *
 * @public
 */
export type InstanceAction = 'restart' | 'reset' | 'save' | 'restore';

/**
 * What provisioning asks for when it creates or changes an environment.
 *
 * @public
 */
export interface EnvironmentSpec {
  name: string;
  instances: number;
  storageMode: StorageMode;
  snapshotTag?: string;
  owner?: string;
  /** Kubernetes: the OCI repository of the snapshot (default: loco.helm.snapshotRegistry). */
  snapshotRegistry?: string;
  /**
   * When the tag cannot be pulled: boot the built-in disk, or stay down and
   * say why (default loco-common's DEFAULT_SNAPSHOT_FALLBACK). Both runtimes.
   */
  snapshotFallback?: SnapshotFallback;
}

/**
 * What `updateEnvironment` may change.
 *
 * @public
 */
export interface EnvironmentChange {
  instances?: number;
  snapshotTag?: string;
  /**
   * What a failed pull does from now on, the new tag's first (as
   * EnvironmentSpec.snapshotFallback). Both runtimes.
   */
  snapshotFallback?: SnapshotFallback;
  /**
   * Kubernetes: the disk size per instance. Refused for disks in claims
   * (persistent, hybrid): Kubernetes cannot change a StatefulSet's claims.
   */
  storageSize?: string;
}

/**
 * How a create, update or destroy runs. Every field is optional; what a
 * runtime does not need it ignores (the local runtime needs none of them).
 *
 * @public
 */
export interface ProvisionOptions {
  /** Kubernetes: the cluster (default: the only one configured, or where the environment is). */
  cluster?: string;
  /** Kubernetes: the namespace (default: the cluster's first watched one, or where the environment is). */
  namespace?: string;
  /** Return only once the change is rolled out (default true). */
  wait?: boolean;
  /** How long the change may take, as a Go duration (default loco.helm.timeout). */
  timeout?: string;
  /** Scratch directory for the files a change needs (default: a temporary one, removed after). */
  workDir?: string;
  /** Where the tools' output goes (e.g. a scaffolder task's log). */
  logger?: LoggerService;
  /** Destroy: also delete the instances' disks, which are kept otherwise (Kubernetes claims). */
  deleteDisks?: boolean;
}

/**
 * A change that passed every check the real run makes; nothing has run yet.
 *
 * @public
 */
export interface ProvisionPlan {
  /** What `apply` does, in words (task logs and dry runs). */
  description: string;
  /** The environment exists already with this very spec (a re-run converges). */
  existing: boolean;
  /** Where the change goes. */
  target: { cluster: string; namespace: string };
  /** What the change leaves behind on purpose, in words (a destroy's kept disks). */
  kept?: string;
  apply(): Promise<void>;
}

/**
 * A runtime whose changes can be checked before they are made: a dry run
 * makes every check the real run makes and stops before `apply`. The
 * Kubernetes runtime is one (Helm).
 *
 * @public
 */
export interface ProvisionPlanner {
  /** Where a change with these options would go; unknown or unwatched places are input errors. */
  resolveTarget(options?: ProvisionOptions): {
    cluster: string;
    namespace: string;
  };
  planCreate(
    spec: EnvironmentSpec,
    options?: ProvisionOptions,
  ): Promise<ProvisionPlan>;
  planUpdate(
    name: string,
    change: EnvironmentChange,
    options?: ProvisionOptions,
  ): Promise<ProvisionPlan>;
  planDestroy(name: string, options?: ProvisionOptions): Promise<ProvisionPlan>;
}

/**
 * A snapshot of every environment one runtime knows, with per-location problems.
 *
 * @public
 */
export interface RuntimeListing {
  items: LocoEnvironment[];
  errors: LocationError[];
}

/**
 * How the caller wants to read a VNC connection.
 *
 * @public
 */
export interface VncOpenOptions {
  /**
   * Deliver the server's bytes through Node's `net` `onread` (reads straight
   * into caller-owned buffers, no allocation per read) instead of 'data'
   * events. Honoured when the connection is a plain socket (local unix socket,
   * direct pod TCP); a connection that is not (the API server's port-forward)
   * ignores it and emits 'data' as usual, so callers listen to both.
   */
  onread?: OnReadOpts;
}

/**
 * The one interface discovery, health, the VNC gateway and provisioning talk to.
 * Implemented by the local QEMU runtime and the Kubernetes runtime; callers never
 * reach QEMU or an API server directly.
 *
 * @public
 */
export interface EmulatorRuntime {
  readonly kind: LocoRuntimeKind;
  /** Current environments. Must answer from memory: no per-request fan-out. */
  listEnvironments(): Promise<RuntimeListing>;
  /** Opens a raw RFB byte stream to one instance's VNC server. */
  openVnc(
    environment: string,
    index: number,
    options?: VncOpenOptions,
  ): Promise<Duplex>;
  /** A PNG of one instance's screen. */
  screenshot(environment: string, index: number): Promise<Buffer>;
  runAction(
    environment: string,
    index: number,
    action: InstanceAction,
  ): Promise<void>;
  createEnvironment(
    spec: EnvironmentSpec,
    options?: ProvisionOptions,
  ): Promise<void>;
  /** Scales an environment or moves it to another snapshot tag. */
  updateEnvironment(
    name: string,
    change: EnvironmentChange,
    options?: ProvisionOptions,
  ): Promise<void>;
  destroyEnvironment(name: string, options?: ProvisionOptions): Promise<void>;
  /**
   * Publishes an instance's current disk and RAM state as a snapshot tag in
   * the runtime's registry (docs/snapshots.md); absent where a runtime
   * cannot publish. Callers check loco.environment.manage.
   */
  publishSnapshot?(
    environment: string,
    index: number,
    tag: string,
  ): Promise<PublishedSnapshot>;
}

/**
 * A snapshot published by {@link EmulatorRuntime.publishSnapshot}.
 *
 * @public
 */
export interface PublishedSnapshot {
  tag: string;
  /** The manifest digest the tag now names. */
  digest: string;
}
