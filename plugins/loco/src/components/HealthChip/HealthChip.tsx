import type {
  EnvironmentSummary,
  InstanceState,
} from '@loco-portal/plugin-loco-common';
import { Chip } from '@material-ui/core';

const COLOURS: Record<InstanceState, string> = {
  healthy: '#2e7d32',
  degraded: '#ed6c02',
  starting: '#0277bd',
  unhealthy: '#c62828',
  stopped: '#616161',
};

/** An instance's (or environment's) state as a small coloured chip. */
export function StateChip({
  state,
  testId,
}: {
  state: InstanceState;
  testId?: string;
}) {
  return (
    <Chip
      size="small"
      label={state}
      data-testid={testId}
      style={{ background: COLOURS[state], color: '#fff' }}
    />
  );
}

/**
 * "8/9 healthy": the environment's roll-up, for headers and cards.
 *
 * @public
 */
export function HealthChip({ summary }: { summary: EnvironmentSummary }) {
  return (
    <Chip
      size="small"
      data-testid="loco-health-chip"
      label={`${summary.healthy}/${summary.total} healthy`}
      title={`environment is ${summary.state}`}
      style={{ background: COLOURS[summary.state], color: '#fff' }}
    />
  );
}
