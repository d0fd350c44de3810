import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { LOCO_ENVIRONMENT_ANNOTATION } from '@loco-portal/plugin-loco-common';
import { List, ListItem, ListItemText, Typography } from '@material-ui/core';
import { useEntityEnvironment } from '../../hooks/useEntityEnvironment';
import { HealthChip, StateChip } from '../HealthChip/HealthChip';
import { HealthBadge } from './HealthBadge';

const REFRESH_MS = 10_000;

/**
 * Entity overview card: the environment's health roll-up, each instance's state and reason, and its badge.
 *
 * @public
 */
export function EntityLocoHealthCard() {
  const { environment, value, loading, error } =
    useEntityEnvironment(REFRESH_MS);

  if (!environment) {
    return (
      <InfoCard title="Loco health">
        <Typography variant="body2">
          This entity has no {LOCO_ENVIRONMENT_ANNOTATION} annotation, so there
          is no environment to show.
        </Typography>
      </InfoCard>
    );
  }
  return (
    <InfoCard
      title="Loco health"
      subheader={environment}
      action={value ? <HealthChip summary={value.summary} /> : undefined}
    >
      {!value && loading && <Progress />}
      {!value && error && (
        <WarningPanel
          title={`Health of ${environment} is unknown`}
          message={error.message}
        >
          Check that the environment exists and that you may read it
          (loco.environment.read).
        </WarningPanel>
      )}
      {value && value.instances.length === 0 && (
        <Typography variant="body2">
          No instances are running (asked for {value.desiredInstances}). It may
          be starting or scaled to zero.
        </Typography>
      )}
      {value && value.instances.length > 0 && (
        <List dense disablePadding>
          {value.instances.map(instance => (
            <ListItem
              key={instance.index}
              disableGutters
              data-testid={`loco-health-row-${instance.index}`}
            >
              <ListItemText
                primary={instance.name}
                secondary={instance.health.reasons[0] ?? null}
              />
              <StateChip state={instance.state} />
            </ListItem>
          ))}
        </List>
      )}
      <HealthBadge environment={environment} />
    </InfoCard>
  );
}
