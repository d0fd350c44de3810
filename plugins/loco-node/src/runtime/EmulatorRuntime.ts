import type { OnReadOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  LocoEnvironment,
  LocoRuntimeKind,
  LocationError,
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
}

/**
 * What `updateEnvironment` may change.
 *
 * @public
 */
export interface EnvironmentChange {
  instances?: number;
  snapshotTag?: string;
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
  createEnvironment(spec: EnvironmentSpec): Promise<void>;
  /** Scales an environment or moves it to another snapshot tag. */
  updateEnvironment(name: string, change: EnvironmentChange): Promise<void>;
  destroyEnvironment(name: string): Promise<void>;
}
