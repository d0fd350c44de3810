import { useRef, useState } from 'react';
import { EmptyState, ErrorPanel, Progress } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  LOCO_ENVIRONMENT_ANNOTATION,
  locoEnvironmentManagePermission,
  locoInstanceControlPermission,
  LocoEnvironment,
} from '@loco-portal/plugin-loco-common';
import { FormControlLabel, Switch, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import { useEntityEnvironment } from '../../hooks/useEntityEnvironment';
import { HealthChip } from '../HealthChip/HealthChip';
import { EnvironmentFacts } from './EnvironmentFacts';
import { InstanceTile } from './InstanceTile';
import { ShortcutsButton } from './ShortcutsButton';
import { SeatList } from './SeatList';
import { TileSeat } from './TileSeat';
import { useSeats } from './useSeats';
import { toggleFullscreen } from './fullscreen';
import { useGridShortcuts } from './useGridShortcuts';
import { GAP_PX, useWallLayout } from './wallLayout';

/** Health is polled; the screens themselves are live. */
export const REFRESH_MS = 5000;

const useStyles = makeStyles(theme => ({
  toolbar: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1.5),
    marginBottom: theme.spacing(1.5),
    flexWrap: 'wrap',
  },
  line: { marginBottom: theme.spacing(1.5) },
  grid: { display: 'grid', gap: GAP_PX, justifyContent: 'center' },
}));

/** The Loco tab: one live tile per instance of the entity's environment. */
export function LocoTab() {
  const { environment, value, loading, error, retry } =
    useEntityEnvironment(REFRESH_MS);

  if (!environment) {
    return (
      <EmptyState
        missing="field"
        title="No Loco environment"
        description={`Add the annotation ${LOCO_ENVIRONMENT_ANNOTATION}: <name> to this entity to show its emulators.`}
      />
    );
  }
  if (!value && loading) return <Progress />;
  if (!value && error) {
    return (
      <ErrorPanel
        error={error}
        title={`Could not load environment ${environment}`}
      >
        Check that the environment exists (the scaffolder template or app-config
        creates it) and that you may read it (loco.environment.read). The tab
        retries every {REFRESH_MS / 1000} s.
      </ErrorPanel>
    );
  }
  if (!value || value.instances.length === 0) {
    return (
      <EmptyState
        missing="data"
        title={`Environment ${environment} has no instances`}
        description={`It asks for ${
          value?.desiredInstances ?? 0
        }. It may still be starting, or it was scaled to zero; check the backend logs of the ${
          value?.runtime ?? ''
        } runtime. This page refreshes by itself.`}
      />
    );
  }
  return <LocoGrid environment={value} stale={error} refresh={retry} />;
}

function LocoGrid({
  environment,
  stale,
  refresh,
}: {
  environment: LocoEnvironment;
  stale?: Error;
  /** Fetch health now (a session dropped; the reason is probably in it). */
  refresh(): void;
}) {
  const control = usePermission({ permission: locoInstanceControlPermission });
  const manage = usePermission({ permission: locoEnvironmentManagePermission });
  const canControl = control.allowed;
  const seats = useSeats(environment.name);
  const classes = useStyles();
  const [focused, setFocused] = useState<number | null>(null);
  const [scaleToFit, setScaleToFit] = useState(true);
  const tiles = useRef(new Map<number, HTMLElement>());
  const root = useRef<HTMLDivElement>(null);
  const grid = useRef<HTMLDivElement>(null);
  const { instances } = environment;
  const layout = useWallLayout(root, grid, instances.length);
  const columns = layout?.columns ?? Math.ceil(Math.sqrt(instances.length));

  useGridShortcuts({
    count: instances.length,
    focused:
      focused === null ? null : instances.findIndex(i => i.index === focused),
    columns: () => {
      const cells = Array.from(grid.current?.children ?? []) as HTMLElement[];
      return (
        cells.filter(c => c.offsetTop === cells[0]?.offsetTop).length || columns
      );
    },
    setFocused: position =>
      setFocused(position === null ? null : instances[position]?.index ?? null),
    fullscreen: position =>
      void toggleFullscreen(tiles.current.get(instances[position]?.index)),
  });

  // One stable callback per tile, so React does not detach and re-attach refs every render.
  const refCallbacks = useRef(
    new Map<number, (el: HTMLElement | null) => void>(),
  );
  const elementRef = (index: number) => {
    let callback = refCallbacks.current.get(index);
    if (!callback) {
      callback = el => {
        if (el) tiles.current.set(index, el);
        else tiles.current.delete(index);
      };
      refCallbacks.current.set(index, callback);
    }
    return callback;
  };

  return (
    <div ref={root}>
      <div className={classes.toolbar}>
        <Typography variant="h6">{environment.name}</Typography>
        <HealthChip summary={environment.summary} />
        <EnvironmentFacts environment={environment} />
        <FormControlLabel
          control={
            <Switch
              checked={scaleToFit}
              onChange={e => setScaleToFit(e.target.checked)}
              color="primary"
            />
          }
          label="Scale to fit"
        />
        <ShortcutsButton />
      </div>
      {!control.loading && !canControl && (
        <Typography
          variant="body2"
          data-testid="loco-view-only-notice"
          className={classes.line}
        >
          You can watch these screens but not type into them or restart them:
          that needs the permission loco.instance.control.
        </Typography>
      )}
      <SeatList
        instances={instances}
        seats={seats}
        canManage={manage.allowed}
        onJump={index => void toggleFullscreen(tiles.current.get(index))}
      />
      {stale && (
        <Typography variant="body2" color="error" className={classes.line}>
          Health could not be refreshed ({stale.message}); showing the last
          known state.
        </Typography>
      )}
      <div
        ref={grid}
        data-testid="loco-grid"
        className={classes.grid}
        // Measured sizes: the wall fits the window (see useWallLayout).
        style={{
          gridTemplateColumns: layout?.tileWidth
            ? `repeat(${layout.columns}, ${layout.tileWidth}px)`
            : `repeat(${columns}, 1fr)`,
        }}
      >
        {instances.map(instance => (
          <InstanceTile
            key={instance.index}
            environment={environment.name}
            instance={instance}
            focused={focused === instance.index}
            canControl={canControl}
            canManage={manage.allowed}
            scaleToFit={scaleToFit}
            wrapHeader={layout?.wrapHeaders ?? false}
            onFocus={() => setFocused(instance.index)}
            onRelease={() => setFocused(null)}
            onSessionLost={refresh}
            elementRef={elementRef(instance.index)}
            seat={
              <TileSeat
                index={instance.index}
                name={instance.name}
                seats={seats}
                canControl={canControl}
              />
            }
          />
        ))}
      </div>
    </div>
  );
}
