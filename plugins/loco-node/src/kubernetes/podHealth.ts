import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type {
  ExitRecord,
  HealthFacts,
  InstanceHealth,
  InstanceState,
} from '@loco-portal/plugin-loco-common';
import { deriveInstanceHealth } from '../health/deriveInstanceHealth';

/** The outcome of the last probe of one pod's health endpoint. */
export type ProbeResult =
  | { kind: 'ok'; health: InstanceHealth; at: Date }
  | { kind: 'failed'; error: string; at: Date }
  | { kind: 'paused'; reason: string; at: Date };

/** Waiting reasons that mean the pod will not come up by itself. */
const FATAL_WAITING = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

const EMULATOR_CONTAINER = 'emulator';

/**
 * Folds what Kubernetes knows about a pod (phase, readiness, restarts, last
 * termination) and what the pod's emulator agent reported into the same
 * facts, states and reasons the local runtime produces. Facts nobody
 * measured stay null.
 */
export function podInstanceHealth(
  pod: V1Pod,
  probe: ProbeResult | undefined,
  now: Date,
): InstanceHealth {
  const statuses = pod.status?.containerStatuses ?? [];
  const container =
    statuses.find(c => c.name === EMULATOR_CONTAINER) ?? statuses[0];
  const phase = pod.status?.phase ?? 'Unknown';
  const running = phase === 'Running' && Boolean(container?.state?.running);
  const reported = probe?.kind === 'ok' ? probe.health.facts : null;

  const facts: HealthFacts = {
    processAlive: running && (reported ? reported.processAlive : true),
    qmpStatus: reported?.qmpStatus ?? null,
    vncReachable: reported?.vncReachable ?? null,
    lastScreenChangeAt: reported?.lastScreenChangeAt ?? null,
    startedAt: reported?.startedAt ?? iso(container?.state?.running?.startedAt),
    bootMode: reported?.bootMode ?? null,
    accelerator: reported?.accelerator ?? null,
    // Kubernetes container restarts plus restarts inside the container.
    restarts: (container?.restartCount ?? 0) + (reported?.restarts ?? 0),
    lastExit: reported?.lastExit ?? terminated(container),
    // Only the agent measures these (older agents do not): absent stays absent.
    ...(reported?.lanJoined !== undefined && { lanJoined: reported.lanJoined }),
    ...(reported?.guestBooted !== undefined && {
      guestBooted: reported.guestBooted,
    }),
  };
  const make = (state: InstanceState, reasons: string[]): InstanceHealth => ({
    state,
    reasons,
    facts,
    checkedAt: now.toISOString(),
  });

  const waiting = container?.state?.waiting?.reason;
  if (waiting && FATAL_WAITING.has(waiting)) {
    return make('unhealthy', [
      `container ${waiting}${
        container?.state?.waiting?.message
          ? `: ${container.state.waiting.message}`
          : ''
      }`,
    ]);
  }
  if (phase === 'Pending') {
    return make('starting', [`pod Pending${waiting ? ` (${waiting})` : ''}`]);
  }
  if (phase === 'Failed' || phase === 'Unknown') {
    return make('unhealthy', [`pod phase ${phase}`]);
  }
  if (phase === 'Succeeded') return make('stopped', ['emulator exited']);

  // The agent derives its instance's state with the same rules and knows
  // what Kubernetes cannot (waiting for the LAN hub, a failed snapshot pull, a
  // KVM fallback): its state and reasons are kept as they are. Without an
  // answer, the pod's own facts are derived here.
  const intendedRunning = !pod.metadata?.deletionTimestamp;
  const derived =
    probe?.kind === 'ok' && running
      ? probe.health
      : deriveInstanceHealth(facts, now, { intendedRunning });
  const reasons = [...derived.reasons];
  let state = derived.state;
  if (pod.metadata?.deletionTimestamp) reasons.unshift('pod is terminating');
  if (probe?.kind === 'failed')
    reasons.unshift(`health endpoint: ${probe.error}`);
  if (probe?.kind === 'paused') reasons.unshift(probe.reason);
  if (state === 'healthy' && !isReady(pod)) {
    state = 'degraded';
    reasons.unshift('pod is not Ready');
  }
  return make(state, reasons);
}

function isReady(pod: V1Pod): boolean {
  return Boolean(
    pod.status?.conditions?.some(
      c => c.type === 'Ready' && c.status === 'True',
    ),
  );
}

function terminated(
  container: V1ContainerStatus | undefined,
): ExitRecord | null {
  const t = container?.lastState?.terminated;
  if (!t) return null;
  return {
    code: t.exitCode ?? null,
    signal:
      t.signal !== undefined && t.signal !== null ? String(t.signal) : null,
    at: iso(t.finishedAt) ?? 'unknown',
  };
}

/** Lists come back deserialized (Date), watch events as raw JSON (string). */
export function iso(value: Date | string | undefined | null): string | null {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
