import { ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import type { LocoInstance } from '@loco-portal/plugin-loco-common';
import {
  Button,
  Card,
  Chip,
  IconButton,
  Tooltip,
  Typography,
} from '@material-ui/core';
import { ThemeProvider, type Theme } from '@material-ui/core/styles';
import FullscreenIcon from '@material-ui/icons/Fullscreen';
import FullscreenExitIcon from '@material-ui/icons/FullscreenExit';
import PhotoCameraIcon from '@material-ui/icons/PhotoCamera';
import RefreshIcon from '@material-ui/icons/Refresh';
import { locoApiRef, LocoInstanceAction } from '../../api/LocoApi';
import { StateChip } from '../HealthChip/HealthChip';
import { Connection, describeTile } from '../VncTile/connection';
import { VncController, VncTile } from '../VncTile/VncTile';
import { ACTION_TEXT, TileMenu } from './TileMenu';
import { toggleFullscreen, useIsFullscreen } from './fullscreen';
import { fullscreenTheme } from './fullscreenTheme';

export interface InstanceTileProps {
  environment: string;
  instance: LocoInstance;
  focused: boolean;
  canControl: boolean;
  canManage: boolean;
  scaleToFit: boolean;
  onFocus(): void;
  onRelease(): void;
  /** Called when the session drops, so the tab can fetch fresh health (the cause) at once. */
  onSessionLost?(): void;
  /** Lets the tab reach the tile's element for keyboard fullscreen. */
  elementRef(element: HTMLElement | null): void;
}

/** One instance: its name, health, session state with the reason, the screen and its controls. */
export function InstanceTile(props: InstanceTileProps) {
  const { environment, instance, focused, canControl, canManage } = props;
  const locoApi = useApi(locoApiRef);
  const card = useRef<HTMLDivElement | null>(null);
  const controller = useRef<VncController | null>(null);
  const [connection, setConnection] = useState<Connection>({
    state: 'connecting',
  });
  const [quality, setQuality] = useState(6);
  const [compression, setCompression] = useState(2);
  const [notice, setNotice] = useState<string | null>(null);
  const fullscreen = useIsFullscreen(card);
  const lost = connection.state === 'disconnected';
  // A ref: the callback's identity changes with every refresh, which must not re-trigger it.
  const sessionLost = useRef(props.onSessionLost);
  sessionLost.current = props.onSessionLost;
  useEffect(() => {
    if (lost) sessionLost.current?.();
  }, [lost]);
  const { state, reason } = describeTile(instance, connection);
  const { elementRef } = props;
  // Always the same provider (a conditional one would remount the tile and
  // drop its session and fullscreen); its theme turns dark in fullscreen.
  const theme = useCallback(
    (outer: Theme) => (fullscreen ? fullscreenTheme(outer) : outer),
    [fullscreen],
  );
  const setCard = useCallback(
    (el: HTMLDivElement | null) => {
      card.current = el;
      elementRef(el);
    },
    [elementRef],
  );

  const actions: LocoInstanceAction[] = [
    ...(canControl ? (['restart', 'reset', 'restore'] as const) : []),
    ...(canManage ? (['save'] as const) : []),
  ];

  const runAction = async (action: LocoInstanceAction) => {
    setNotice(`${ACTION_TEXT[action].label}: running…`);
    try {
      const result = await locoApi.runAction(
        environment,
        instance.index,
        action,
      );
      setNotice(`${ACTION_TEXT[action].label}: ${result.status}`);
    } catch (e) {
      setNotice(`${ACTION_TEXT[action].label} failed: ${(e as Error).message}`);
    }
  };

  const downloadScreenshot = async () => {
    let blob: Blob | null = null;
    try {
      blob = await locoApi.screenshot(environment, instance.index);
    } catch (e) {
      // The runtime could not take one; what the browser shows is the next best thing.
      blob = (await controller.current?.toBlob()) ?? null;
      if (!blob) {
        setNotice(`Screenshot failed: ${(e as Error).message}`);
        return;
      }
    }
    const name = `${instance.name}-${new Date()
      .toISOString()
      .replace(/[:.]/g, '-')}.png`;
    if (typeof URL.createObjectURL !== 'function') return;
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setNotice(`Screenshot saved as ${name}`);
  };

  const status =
    focused && !canControl
      ? 'View only: you may watch this screen but not type (needs loco.instance.control).'
      : `${state}: ${reason.replace(new RegExp(`^${state}: `), '')}`;

  return (
    <ThemeProvider theme={theme}>
      <Card
        ref={setCard}
        data-testid={`loco-tile-${instance.index}`}
        data-connection={connection.state}
        data-state={state}
        data-focused={focused ? 'true' : 'false'}
        style={{
          outline: focused ? '3px solid #1976d2' : 'none',
          display: 'flex',
          flexDirection: 'column',
        }}
      >
        <div
          style={{
            display: 'flex',
            alignItems: 'center',
            gap: 6,
            padding: '6px 8px',
            flexWrap: 'wrap',
          }}
        >
          <Typography
            variant="subtitle2"
            style={{ flex: 1, minWidth: 0 }}
            noWrap
          >
            {instance.name}
          </Typography>
          <StateChip state={instance.state} testId="loco-health" />
          {!canControl && (
            <Chip
              size="small"
              variant="outlined"
              label="view only"
              data-testid="loco-view-only"
            />
          )}
          {focused ? (
            <Button
              size="small"
              variant="contained"
              color="primary"
              onClick={props.onRelease}
            >
              Release
            </Button>
          ) : (
            <Button size="small" variant="outlined" onClick={props.onFocus}>
              {canControl ? 'Control' : 'Focus'}
            </Button>
          )}
          <TileButton
            title={fullscreen ? 'Leave fullscreen' : 'Fullscreen'}
            label={`Fullscreen ${instance.name}`}
            onClick={() => void toggleFullscreen(card.current)}
          >
            {fullscreen ? (
              <FullscreenExitIcon fontSize="small" />
            ) : (
              <FullscreenIcon fontSize="small" />
            )}
          </TileButton>
          <TileButton
            title="Download screenshot"
            label={`Screenshot ${instance.name}`}
            onClick={() => void downloadScreenshot()}
          >
            <PhotoCameraIcon fontSize="small" />
          </TileButton>
          <TileButton
            title="Reconnect now"
            label={`Reconnect ${instance.name}`}
            onClick={() => controller.current?.reconnect()}
          >
            <RefreshIcon fontSize="small" />
          </TileButton>
          <TileMenu
            name={instance.name}
            actions={actions}
            canSendKeys={canControl}
            qualityLevel={quality}
            compressionLevel={compression}
            onQuality={setQuality}
            onCompression={setCompression}
            onCtrlAltDel={() =>
              setNotice(
                controller.current?.sendCtrlAltDel()
                  ? 'Sent Ctrl-Alt-Del'
                  : 'Not sent: take control of a live screen first',
              )
            }
            onAction={a => void runAction(a)}
          />
        </div>
        <div
          // The first click only focuses the tile; noVNC sees clicks once it is interactive.
          onMouseDownCapture={e => {
            // noVNC cancels mousedown, so the browser would leave the keyboard on
            // whatever button had it; take it away (a controlled tile's canvas
            // then takes it, a view-only tile keeps it nowhere).
            const active = document.activeElement;
            if (
              active instanceof HTMLElement &&
              !e.currentTarget.contains(active)
            )
              active.blur();
            if (!focused) props.onFocus();
          }}
          style={{
            flex: 1,
            minHeight: 0,
            cursor: focused ? 'auto' : 'pointer',
          }}
        >
          <VncTile
            environment={environment}
            index={instance.index}
            interactive={focused && canControl}
            scaleToFit={props.scaleToFit || fullscreen}
            qualityLevel={quality}
            compressionLevel={compression}
            fill={fullscreen}
            controllerRef={controller}
            onConnectionChange={setConnection}
          />
        </div>
        <Typography
          variant="caption"
          data-testid="loco-status"
          style={{ padding: '4px 8px' }}
        >
          {status}
        </Typography>
        {notice && (
          <Typography
            variant="caption"
            data-testid="loco-notice"
            style={{ padding: '0 8px 4px' }}
            role="status"
          >
            {notice}
          </Typography>
        )}
      </Card>
    </ThemeProvider>
  );
}

/** A small icon button of the tile header, with its tooltip and accessible name. */
function TileButton(props: {
  title: string;
  label: string;
  onClick: () => void;
  children: ReactNode;
}) {
  return (
    <Tooltip title={props.title}>
      <IconButton size="small" aria-label={props.label} onClick={props.onClick}>
        {props.children}
      </IconButton>
    </Tooltip>
  );
}
