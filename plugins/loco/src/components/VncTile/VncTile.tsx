import { MutableRefObject, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import type RFB from '@novnc/novnc';
import { VNC_CLOSE } from '@loco-portal/plugin-loco-common';
import { locoApiRef } from '../../api/LocoApi';
import { Connection, reconnectDelayMs } from './connection';
import { useInView } from './useInView';

/** Imperative handle on a tile's live session, for the tile's buttons. */
export interface VncController {
  sendCtrlAltDel(): boolean;
  /** The screen as the browser shows it (PNG), or null without a session. */
  toBlob(): Promise<Blob | null>;
  /** Drop the session and open a fresh one now (manual reconnect). */
  reconnect(): void;
}

export interface VncSettings {
  /** Keyboard and mouse reach the guest: only when the tile is focused and the user may control it. */
  interactive: boolean;
  /** Scale the screen to the tile (true) or show it 1:1, scrollable (false). */
  scaleToFit: boolean;
  /** JPEG quality 0–9 (noVNC `qualityLevel`). */
  qualityLevel: number;
  /** Compression 0–9 (noVNC `compressionLevel`). */
  compressionLevel: number;
}

export interface VncTileProps extends VncSettings {
  environment: string;
  index: number;
  /** Fill the parent's height instead of keeping the guest's aspect ratio (fullscreen). */
  fill?: boolean;
  controllerRef?: MutableRefObject<VncController | null>;
  onConnectionChange?: (connection: Connection) => void;
}

/**
 * One live screen. Owns exactly one noVNC RFB object, kept in a ref and created
 * in an effect from a dynamic import, so noVNC loads only when a screen is shown.
 * Only environment, index, a reconnect attempt or the tile leaving the viewport
 * recreate the session; every other prop is applied to the running RFB.
 */
export function VncTile(props: VncTileProps) {
  const { environment, index, fill, controllerRef, onConnectionChange } = props;
  const locoApi = useApi(locoApiRef);
  const container = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const settings = useRef<VncSettings>(props);
  settings.current = props;
  const notify = useRef(onConnectionChange);
  notify.current = onConnectionChange;
  const failures = useRef(0);
  const [attempt, setAttempt] = useState(0);
  // Out of view → disconnect: noVNC cannot stop requesting updates on a live
  // session, and a closed session costs neither bandwidth nor server CPU.
  const inView = useInView(container);
  const { interactive } = props;

  useEffect(() => {
    if (!inView) {
      notify.current?.({ state: 'paused' });
      return undefined;
    }
    let rfb: RFB | undefined;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const scheduleRetry = (why: string) => {
      failures.current += 1;
      const delay = reconnectDelayMs(failures.current);
      notify.current?.({
        state: 'disconnected',
        reason: `${why}; retrying in ${Math.round(delay / 1000)} s`,
      });
      retry = setTimeout(() => setAttempt(a => a + 1), delay);
    };
    notify.current?.({ state: 'connecting' });
    (async () => {
      const { default: Rfb } = await import('@novnc/novnc');
      if (cancelled) return;
      // The socket is opened only now, and noVNC takes it in the same task:
      // the server greets as soon as it opens, and a greeting that arrived
      // before noVNC listened would be lost (the tile would wait forever).
      // A tile the user is not playing on asks for a session that cannot
      // type: the gateway drops its input, whatever the browser does.
      const socket = await locoApi.openVnc(environment, index, {
        viewOnly: !interactive,
      });
      if (cancelled || !container.current) {
        socket.close();
        return;
      }
      // noVNC reports only "clean or not"; the close frame says why.
      let closedWith: CloseEvent | undefined;
      socket.addEventListener('close', e => {
        closedWith = e as CloseEvent;
      });
      const session = new Rfb(container.current, socket, { shared: true });
      rfb = session;
      rfbRef.current = session;
      session.background = '#000';
      applySettings(session, settings.current);
      session.addEventListener('connect', () => {
        failures.current = 0;
        notify.current?.({ state: 'live' });
        applySettings(session, settings.current);
      });
      session.addEventListener('securityfailure', (e: any) => {
        notify.current?.({
          state: 'disconnected',
          reason: `refused by the VNC server: ${
            e.detail?.reason ?? 'security failure'
          }`,
        });
      });
      session.addEventListener('disconnect', (e: any) => {
        if (rfbRef.current === session) rfbRef.current = null;
        if (cancelled) return;
        scheduleRetry(whyClosed(closedWith, Boolean(e.detail?.clean)));
      });
    })().catch(error => {
      if (!cancelled)
        scheduleRetry(
          `could not open the session (${error?.message ?? error})`,
        );
    });
    return () => {
      cancelled = true;
      clearTimeout(retry);
      if (rfbRef.current === rfb) rfbRef.current = null;
      try {
        rfb?.disconnect();
      } catch {
        // already disconnected
      }
    };
    // `interactive` opens a new session: input is allowed or not per session.
  }, [locoApi, environment, index, attempt, inView, interactive]);

  // Settings change the running session; they never reconnect it.
  const { scaleToFit, qualityLevel, compressionLevel } = props;
  useEffect(() => {
    if (rfbRef.current) {
      applySettings(rfbRef.current, {
        interactive,
        scaleToFit,
        qualityLevel,
        compressionLevel,
      });
    }
  }, [interactive, scaleToFit, qualityLevel, compressionLevel]);

  useEffect(() => {
    if (!controllerRef) return undefined;
    controllerRef.current = {
      sendCtrlAltDel() {
        if (!rfbRef.current || !settings.current.interactive) return false;
        rfbRef.current.sendCtrlAltDel();
        return true;
      },
      toBlob() {
        const rfb = rfbRef.current;
        if (!rfb) return Promise.resolve(null);
        return new Promise(resolve => rfb.toBlob(resolve, 'image/png'));
      },
      reconnect() {
        failures.current = 0;
        setAttempt(a => a + 1);
      },
    };
    return () => {
      controllerRef.current = null;
    };
  }, [controllerRef]);

  return (
    <div
      ref={container}
      data-testid={`loco-screen-${index}`}
      style={{
        width: '100%',
        ...(fill ? { height: '100%' } : { aspectRatio: '720 / 400' }),
        background: '#000',
        overflow: 'hidden',
      }}
    />
  );
}

/** What a tile says after its session ended, from the server's close frame when there is one. */
export function whyClosed(close: CloseEvent | undefined, clean: boolean) {
  if (close?.code === VNC_CLOSE.tooManySessions) {
    return `refused: ${
      close.reason || 'too many screens open'
    }; close other Loco tabs or tiles`;
  }
  if (close?.reason) return `the server closed the session: ${close.reason}`;
  return clean ? 'the server closed the session' : 'connection lost';
}

function applySettings(rfb: RFB, s: VncSettings) {
  rfb.scaleViewport = s.scaleToFit;
  // Unscaled, the screen keeps its own size and noVNC's screen element
  // scrolls: the user pans with scrollbars, wheel or touch (clipping would
  // need a drag mode that steals the guest's mouse).
  rfb.clipViewport = false;
  rfb.qualityLevel = s.qualityLevel;
  rfb.compressionLevel = s.compressionLevel;
  // View-only also ignores the mouse; focusOnClick lets a click on the focused
  // tile (and only there) take the keyboard.
  rfb.viewOnly = !s.interactive;
  rfb.focusOnClick = s.interactive;
  if (s.interactive) rfb.focus({ preventScroll: true });
  else rfb.blur();
}
