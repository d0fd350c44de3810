/**
 * The health contract. The local runtime produces it in-process and the
 * emulator image serves the same JSON on its health port; both are folded into
 * a state by the same pure function (`deriveInstanceHealth` in loco-node).
 */

/**
 * Lifecycle state of one emulator instance, derived from {@link HealthFacts}.
 *
 * @public
 */
export type InstanceState =
  | 'starting'
  | 'healthy'
  | 'degraded'
  | 'unhealthy'
  | 'stopped';

/** @public */
export const INSTANCE_STATES: readonly InstanceState[] = [
  'starting',
  'healthy',
  'degraded',
  'unhealthy',
  'stopped',
];

/**
 * How a running QEMU was brought up.
 *
 * @public
 */
export type BootMode = 'cold' | 'snapshot';

/**
 * Why the last QEMU process of an instance ended.
 *
 * @public
 */
export interface ExitRecord {
  code: number | null;
  signal: string | null;
  at: string;
  /** A user asked for it (the restart action): not a crash, whatever the code. */
  requested?: boolean;
}

/**
 * The last instance action a user ran (restart, reset, restore, save), and when it ended.
 *
 * @public
 */
export interface ActionRecord {
  action: string;
  at: string;
}

/**
 * Measured facts about one instance. `null` always means "not known"
 * (not measured yet, or could not be measured) and is never replaced by a guess.
 *
 * @public
 */
export interface HealthFacts {
  /** Whether a QEMU process for the instance is alive. */
  processAlive: boolean;
  /** `query-status` status from QMP, e.g. `running`, `paused`, `internal-error`. */
  qmpStatus: string | null;
  /** Whether the VNC endpoint accepted a connection at the last check. */
  vncReachable: boolean | null;
  /** When the screen content last changed (screendump hash), ISO time. */
  lastScreenChangeAt: string | null;
  /** When the current QEMU process started, ISO time. */
  startedAt: string | null;
  bootMode: BootMode | null;
  /** `tcg` or `kvm`: the accelerator actually in use. */
  accelerator: string | null;
  /** Times the supervisor (or Kubernetes) restarted the emulator. */
  restarts: number;
  lastExit: ExitRecord | null;
  /** Absent where the runtime does not record actions (e.g. Kubernetes). */
  lastAction?: ActionRecord | null;
  /**
   * Whether the instance is joined to its LAN hub right now (the emulator
   * agent's relay has a live hub connection). Absent or null where there is
   * no hub to join (the local runtime's multicast LAN, no network card) or
   * QEMU does not run.
   */
  lanJoined?: boolean | null;
  /**
   * Whether the guest has finished booting, as the supervisor's boot watch
   * judges it (screen settled and CPU quiet after a cold boot; at once after
   * resuming a snapshot). Absent or null where it is not measured.
   */
  guestBooted?: boolean | null;
}

/**
 * The JSON served per instance (`GET .../health` on the emulator image).
 *
 * @public
 */
export interface InstanceHealth {
  state: InstanceState;
  /** Human-readable reasons for the state, most important first. */
  reasons: string[];
  facts: HealthFacts;
  checkedAt: string;
}
