import { INSTANCE_STATES, InstanceState } from './health';
import { EnvironmentSummary } from './types';

/**
 * Rolls instance states up into one environment state: all healthy is healthy,
 * none running is stopped, anything starting is starting, otherwise degraded
 * while at least one instance is healthy and unhealthy when none is.
 *
 * @public
 */
export function summarizeStates(states: InstanceState[]): EnvironmentSummary {
  const counts = Object.fromEntries(INSTANCE_STATES.map(s => [s, 0])) as Record<
    InstanceState,
    number
  >;
  for (const s of states) counts[s] += 1;
  const total = states.length;
  let state: InstanceState;
  if (total === 0 || counts.stopped === total) state = 'stopped';
  else if (counts.healthy === total) state = 'healthy';
  else if (counts.starting > 0 && counts.unhealthy === 0) state = 'starting';
  else if (counts.healthy > 0) state = 'degraded';
  else state = 'unhealthy';
  return { state, total, healthy: counts.healthy, counts };
}
