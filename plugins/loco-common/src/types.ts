import { InstanceHealth, InstanceState } from './health';

/** @public */
export type LocoRuntimeKind = 'local' | 'kubernetes';

/** @public */
export const STORAGE_MODES = [
  'persistent',
  'hybrid',
  'ephemeral',
  'hostpath',
] as const;
/** @public */
export type StorageMode = (typeof STORAGE_MODES)[number];

/**
 * One emulator of an environment, as the API returns it.
 *
 * @public
 */
export interface LocoInstance {
  index: number;
  name: string;
  state: InstanceState;
  health: InstanceHealth;
}

/**
 * A Loco environment: N emulators joined as one LAN.
 *
 * @public
 */
export interface LocoEnvironment {
  name: string;
  runtime: LocoRuntimeKind;
  /** Cluster name for the Kubernetes runtime, `local` for the embedded one. */
  location: string;
  /**
   * Kubernetes runtime: the namespace of the environment's Helm release (its
   * StatefulSet and pods). Absent for the local runtime, which has none.
   */
  namespace?: string;
  owner: string | null;
  storageMode: StorageMode;
  snapshotTag: string | null;
  desiredInstances: number;
  instances: LocoInstance[];
  /** Environment-level roll-up of the instance states. */
  summary: EnvironmentSummary;
  /**
   * True when the location cannot be reached and this is the last known state
   * (Kubernetes runtime during an API outage). Absent or false: current.
   */
  stale?: boolean;
  /** When the location last confirmed this state (ISO time); null if never. */
  lastSyncAt?: string | null;
}

/** @public */
export interface EnvironmentSummary {
  state: InstanceState;
  total: number;
  healthy: number;
  counts: Record<InstanceState, number>;
}

/**
 * Per-location problems are reported beside the data, never instead of it.
 *
 * @public
 */
export interface LocationError {
  location: string;
  message: string;
}

/** @public */
export interface ListEnvironmentsResponse {
  items: LocoEnvironment[];
  errors: LocationError[];
}
