import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { useApi } from '@backstage/core-plugin-api';
import {
  EmptyState,
  ErrorPanel,
  Progress,
} from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  LOCO_ENVIRONMENT_ANNOTATION,
  LocoInstance,
} from '@loco-portal/plugin-loco-common';
import { Card, CardContent, CardHeader, Chip, Typography } from '@material-ui/core';
import { locoApiRef } from '../../api/LocoApi';
import { ConnectionState, VncTile } from '../VncTile/VncTile';

const REFRESH_MS = 5000;

/** The Loco tab: one live tile per instance of the entity's environment. */
export function LocoTab() {
  const { entity } = useEntity();
  const environment = entity.metadata.annotations?.[LOCO_ENVIRONMENT_ANNOTATION];
  const locoApi = useApi(locoApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    async () => (environment ? locoApi.getEnvironment(environment) : undefined),
    [locoApi, environment],
  );
  useInterval(retry, REFRESH_MS);

  if (!environment) {
    return (
      <EmptyState
        missing="field"
        title="No Loco environment"
        description={`Add the annotation ${LOCO_ENVIRONMENT_ANNOTATION} to this entity to show its emulators.`}
      />
    );
  }
  if (!value && loading) return <Progress />;
  if (!value && error) return <ErrorPanel error={error} title={`Could not load environment ${environment}`} />;
  if (!value || value.instances.length === 0) {
    return (
      <EmptyState
        missing="data"
        title={`Environment ${environment} has no instances`}
        description="It may still be starting, or it was scaled to zero. Check the runtime's logs."
      />
    );
  }
  // About √N columns, so 4 instances make 2×2 and 9 make the 3×3 wall.
  const columns = Math.ceil(Math.sqrt(value.instances.length));
  return (
    <div
      data-testid="loco-grid"
      style={{
        display: 'grid',
        gap: 16,
        gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`,
      }}
    >
      {value.instances.map(instance => (
        <InstanceCard key={instance.index} environment={environment} instance={instance} />
      ))}
    </div>
  );
}

function InstanceCard({ environment, instance }: { environment: string; instance: LocoInstance }) {
  const [connection, setConnection] = useState<{ state: ConnectionState; reason?: string }>({
    state: 'connecting',
  });
  return (
    <Card data-testid={`loco-tile-${instance.index}`} data-connection={connection.state}>
      <CardHeader
        title={instance.name}
        titleTypographyProps={{ variant: 'subtitle1' }}
        action={<Chip size="small" label={instance.state} data-testid="loco-health" />}
      />
      <CardContent>
        <VncTile
          environment={environment}
          index={instance.index}
          onConnectionChange={(state, reason) => setConnection({ state, reason })}
        />
        <Typography variant="caption" color="textSecondary">
          {connection.state}
          {connection.reason ? `: ${connection.reason}` : ''} · {instance.health.reasons.join('; ')}
        </Typography>
      </CardContent>
    </Card>
  );
}
