import type {
  HealthFacts,
  InstanceHealth,
  InstanceState,
} from '@loco-portal/plugin-loco-common';

/**
 * Thresholds for turning facts into a state; all in milliseconds.
 *
 * @public
 */
export interface HealthPolicy {
  /** How long a fresh QEMU may go without a screen change before it is not "starting" any more. */
  startupGraceMs: number;
  /** How long a running screen may stay unchanged before the instance is degraded. */
  staleScreenMs: number;
}

/** @public */
export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  startupGraceMs: 90_000,
  staleScreenMs: 180_000,
};

/**
 * The facts of a wanted instance whose emulator is not started yet (its
 * disk is being prepared or pulled): health says why through `waiting` or
 * `notes`.
 */
export const NOT_STARTED_FACTS: HealthFacts = {
  processAlive: false,
  qmpStatus: null,
  vncReachable: null,
  lastScreenChangeAt: null,
  startedAt: null,
  bootMode: null,
  accelerator: null,
  restarts: 0,
  lastExit: null,
};

/** What is missing while a measured fact says no (also the /ready answer). */
const WAITING_FOR_HUB = 'waiting for the LAN hub';
const GUEST_BOOTING = 'guest still booting';

const FAILED_QMP_STATES = new Set([
  'internal-error',
  'guest-panicked',
  'shutdown',
  'io-error',
]);

/**
 * Folds measured facts into a state and the reasons for it. Pure: the same facts
 * and clock give the same answer, so both runtimes and the emulator image agree.
 * `intendedRunning` is false when nobody wants the instance up (stopped on purpose).
 *
 * @public
 */
export function deriveInstanceHealth(
  facts: HealthFacts,
  now: Date,
  options: {
    intendedRunning: boolean;
    policy?: HealthPolicy;
    /** Set while a wanted instance waits for its turn to start (e.g. a cold-boot slot). */
    waiting?: string;
    /** Measured remarks appended to the reasons (e.g. an accelerator fallback). */
    notes?: string[];
  },
): InstanceHealth {
  const policy = options.policy ?? DEFAULT_HEALTH_POLICY;
  const result = (state: InstanceState, reasons: string[]): InstanceHealth => ({
    state,
    reasons: [...reasons, ...(options.notes ?? [])],
    facts,
    checkedAt: now.toISOString(),
  });

  if (!facts.processAlive) {
    if (!options.intendedRunning) return result('stopped', ['stopped']);
    if (options.waiting) return result('starting', [options.waiting]);
    const exit = facts.lastExit;
    return result('unhealthy', [
      exit
        ? `emulator exited (${describeExit(exit.code, exit.signal)}) at ${
            exit.at
          }`
        : 'emulator process is not running',
    ]);
  }

  if (facts.qmpStatus && FAILED_QMP_STATES.has(facts.qmpStatus)) {
    return result('unhealthy', [`QEMU reports ${facts.qmpStatus}`]);
  }

  const sinceStart = facts.startedAt
    ? now.getTime() - Date.parse(facts.startedAt)
    : 0;
  const inGrace = sinceStart < policy.startupGraceMs;

  if (facts.qmpStatus === null || facts.vncReachable === null) {
    return inGrace
      ? result('starting', ['emulator starting, not measured yet'])
      : result('unhealthy', ['emulator does not answer QMP']);
  }
  if (facts.vncReachable === false) {
    return result(inGrace ? 'starting' : 'unhealthy', [
      'VNC endpoint refuses connections',
    ]);
  }
  if (facts.qmpStatus !== 'running') {
    return result('degraded', [`QEMU is ${facts.qmpStatus}`]);
  }
  // Only a measured false counts: absent or null means "not measured here".
  const offLan = facts.lanJoined === false ? [WAITING_FOR_HUB] : [];
  if (facts.guestBooted === false) {
    return result('starting', [GUEST_BOOTING, ...offLan]);
  }
  if (facts.lastScreenChangeAt === null) {
    return inGrace
      ? result('starting', ['booting: screen has not changed yet'])
      : result('degraded', [
          `screen unchanged since start ${Math.round(sinceStart / 1000)} s ago`,
          ...offLan,
        ]);
  }
  const stillFor = now.getTime() - Date.parse(facts.lastScreenChangeAt);
  if (stillFor > policy.staleScreenMs) {
    return result('degraded', [
      `screen unchanged for ${Math.round(stillFor / 1000)} s`,
      ...offLan,
    ]);
  }
  // Playable alone, but not with the others: degraded, and not ready (see isReady).
  if (offLan.length > 0) return result('degraded', offLan);
  return result('healthy', ['running, screen updating']);
}

/**
 * Whether an instance may take players (the emulator image's `/ready`):
 * healthy or degraded, with the guest booted and on the LAN where those are
 * measured. The reason says what is missing.
 */
export function isReady(health: InstanceHealth): {
  ready: boolean;
  reason: string;
} {
  const { state, facts, reasons } = health;
  if (state !== 'healthy' && state !== 'degraded') {
    return { ready: false, reason: reasons[0] ?? state };
  }
  if (facts.guestBooted === false)
    return { ready: false, reason: GUEST_BOOTING };
  if (facts.lanJoined === false)
    return { ready: false, reason: WAITING_FOR_HUB };
  return { ready: true, reason: reasons[0] ?? state };
}

function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `signal ${signal}`;
  return code === null ? 'unknown status' : `code ${code}`;
}
