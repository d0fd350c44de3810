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
import {
  makeStyles,
  ThemeProvider,
  type Theme,
} from '@material-ui/core/styles';
import FullscreenIcon from '@material-ui/icons/Fullscreen';
import FullscreenExitIcon from '@material-ui/icons/FullscreenExit';
import LinkIcon from '@material-ui/icons/Link';
import LinkOffIcon from '@material-ui/icons/LinkOff';
import PhotoCameraIcon from '@material-ui/icons/PhotoCamera';
import { locoApiRef, LocoInstanceAction } from '../../api/LocoApi';
import { StateChip } from '../HealthChip/HealthChip';
import { Connection, describeTile } from '../VncTile/connection';
import { VncController, VncTile } from '../VncTile/VncTile';
import { TileSpeaker } from '../VncTile/audio/TileSpeaker';
import { TileMenu } from './TileMenu';
import { toggleFullscreen, useIsFullscreen } from './fullscreen';
import { fullscreenTheme } from './fullscreenTheme';
import { usePictureSettings } from './pictureSettings';
import { useInstanceActions } from './useInstanceActions';

/** One line of the tile's caption: fixed height, so a notice never moves the row. */
const LINE_PX = 20;

const useStyles = makeStyles(theme => ({
  card: { display: 'flex', flexDirection: 'column' },
  focused: { outline: `3px solid ${theme.palette.primary.main}` },
  header: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0.5, 1),
    whiteSpace: 'nowrap',
  },
  // When the wall scrolls anyway (a wall of 32, see wallLayout), a narrow
  // tile's buttons move to the next line rather than squeeze the name to
  // nothing or spill out of the card.
  headerWrapped: { flexWrap: 'wrap' },
  number: { flexShrink: 0, fontWeight: 'bold' },
  // Its whole width is kept on the first line (flex-basis auto); only a name
  // wider than the tile itself is cut.
  name: { flex: '1 1 auto', minWidth: 0 },
  control: { flexShrink: 0, minWidth: 0, padding: theme.spacing(0, 1) },
  screen: { flex: 1, minHeight: 0, cursor: 'pointer' },
  screenFocused: { cursor: 'auto' },
  footer: { padding: theme.spacing(0.5, 1) },
  line: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    height: LINE_PX,
    minWidth: 0,
  },
  text: {
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    minWidth: 0,
  },
}));

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
  /** The instance's seat: its holder, or "Play" (see TileSeat). */
  seat?: ReactNode;
  /** Wrap the header's buttons to a second line (WallLayout.wrapHeaders). */
  wrapHeader?: boolean;
}

/** One instance: its name, health, session state with the reason, the screen and its controls. */
export function InstanceTile(props: InstanceTileProps) {
  const { environment, instance, focused, canControl, canManage } = props;
  const classes = useStyles();
  const locoApi = useApi(locoApiRef);
  const card = useRef<HTMLDivElement | null>(null);
  const controller = useRef<VncController | null>(null);
  const [connection, setConnection] = useState<Connection>({
    state: 'connecting',
  });
  const picture = usePictureSettings();
  const fullscreen = useIsFullscreen(card);
  const lost = connection.state === 'disconnected';
  // A ref: the callback's identity changes with every refresh, which must not re-trigger it.
  const sessionLost = useRef(props.onSessionLost);
  sessionLost.current = props.onSessionLost;
  useEffect(() => {
    if (lost) sessionLost.current?.();
  }, [lost]);
  const { state, reason } = describeTile(instance, connection);
  const { notice, setNotice, runAction } = useInstanceActions({
    environment,
    index: instance.index,
    tileState: state,
  });
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
  // Ctrl-Alt-Del goes only to a screen the user controls: say why it cannot yet.
  let ctrlAltDelBlocked: string | undefined;
  if (!focused) {
    ctrlAltDelBlocked =
      'Take control of this screen first: click it or press Control';
  } else if (connection.state !== 'live') {
    ctrlAltDelBlocked = 'The screen is not connected yet';
  }

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
  const live = connection.state === 'live';

  return (
    <ThemeProvider theme={theme}>
      <Card
        ref={setCard}
        data-testid={`loco-tile-${instance.index}`}
        data-connection={connection.state}
        data-state={state}
        data-focused={focused ? 'true' : 'false'}
        className={
          focused ? `${classes.card} ${classes.focused}` : classes.card
        }
      >
        <div
          className={
            props.wrapHeader
              ? `${classes.header} ${classes.headerWrapped}`
              : classes.header
          }
        >
          {/* The number first: it is what tells the tiles apart when the name is cut. */}
          <Typography
            variant="subtitle2"
            className={classes.number}
            data-testid="loco-number"
          >
            #{instance.index}
          </Typography>
          <Typography
            variant="body2"
            color="textSecondary"
            className={classes.name}
            title={instance.name}
            data-testid="loco-name"
            noWrap
          >
            {instance.name}
          </Typography>
          {props.seat}
          {focused ? (
            <Button
              size="small"
              variant="contained"
              color="primary"
              className={classes.control}
              onClick={props.onRelease}
            >
              Release
            </Button>
          ) : (
            <Button
              size="small"
              variant="outlined"
              className={classes.control}
              onClick={props.onFocus}
            >
              {canControl ? 'Control' : 'Focus'}
            </Button>
          )}
          <TileSpeaker
            environment={environment}
            index={instance.index}
            name={instance.name}
            focused={focused}
          />
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
            title={`Reconnect the screen (${
              live ? 'connected' : 'not connected'
            }); the emulator keeps running`}
            label={`Reconnect ${instance.name}`}
            onClick={() => controller.current?.reconnect()}
          >
            {live ? (
              <LinkIcon fontSize="small" />
            ) : (
              <LinkOffIcon fontSize="small" />
            )}
          </TileButton>
          <TileMenu
            name={instance.name}
            actions={actions}
            ctrlAltDel={canControl ? { blocked: ctrlAltDelBlocked } : null}
            qualityLevel={picture.qualityLevel}
            compressionLevel={picture.compressionLevel}
            onQuality={picture.setQualityLevel}
            onCompression={picture.setCompressionLevel}
            onCtrlAltDel={() =>
              setNotice(
                controller.current?.sendCtrlAltDel()
                  ? 'Sent Ctrl-Alt-Del'
                  : 'Not sent: take control of a live screen first',
              )
            }
            onAction={a => void runAction(a)}
            onPublish={
              canManage
                ? tag =>
                    locoApi.publishSnapshot(environment, instance.index, tag)
                : undefined
            }
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
          className={
            focused
              ? `${classes.screen} ${classes.screenFocused}`
              : classes.screen
          }
        >
          <VncTile
            environment={environment}
            index={instance.index}
            interactive={focused && canControl}
            scaleToFit={props.scaleToFit || fullscreen}
            qualityLevel={picture.qualityLevel}
            compressionLevel={picture.compressionLevel}
            fill={fullscreen}
            controllerRef={controller}
            onConnectionChange={setConnection}
          />
        </div>
        {/* Two lines of fixed height (status, notice): the row never changes height. */}
        <div className={classes.footer} data-testid="loco-caption">
          <div className={classes.line}>
            <StateChip state={instance.state} testId="loco-health" />
            {!canControl && (
              <Chip
                size="small"
                variant="outlined"
                label="view only"
                data-testid="loco-view-only"
              />
            )}
            <Typography
              variant="caption"
              data-testid="loco-status"
              className={classes.text}
              title={status}
            >
              {status}
            </Typography>
          </div>
          <div className={classes.line}>
            {notice && (
              <Typography
                variant="caption"
                data-testid="loco-notice"
                className={classes.text}
                title={notice}
                role="status"
              >
                {notice}
              </Typography>
            )}
          </div>
        </div>
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
