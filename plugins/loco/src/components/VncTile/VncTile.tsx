import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { locoApiRef } from '../../api/LocoApi';

/** What the tile's connection is doing, in the words shown to the user. */
export type ConnectionState = 'connecting' | 'live' | 'disconnected';

export interface VncTileProps {
  environment: string;
  index: number;
  onConnectionChange?: (state: ConnectionState, reason?: string) => void;
}

/**
 * One live screen. Owns exactly one noVNC RFB object, created in an effect from
 * a dynamic import so noVNC is only loaded when a screen is shown.
 */
export function VncTile({ environment, index, onConnectionChange }: VncTileProps) {
  const locoApi = useApi(locoApiRef);
  const container = useRef<HTMLDivElement>(null);
  const notify = useRef(onConnectionChange);
  notify.current = onConnectionChange;
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let rfb: any;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    (async () => {
      const [{ default: RFB }, url, wsProtocols] = await Promise.all([
        import('@novnc/novnc'),
        locoApi.vncUrl(environment, index),
        locoApi.vncProtocols(),
      ]);
      if (cancelled || !container.current) return;
      notify.current?.('connecting');
      rfb = new RFB(container.current, url, { shared: true, wsProtocols });
      rfb.scaleViewport = true;
      rfb.viewOnly = true;
      rfb.addEventListener('connect', () => notify.current?.('live'));
      rfb.addEventListener('disconnect', (e: any) => {
        notify.current?.(
          'disconnected',
          e.detail?.clean ? 'connection closed' : 'connection lost',
        );
        if (!cancelled) {
          // Reconnect with a short, growing delay; a fresh RFB per attempt.
          retry = setTimeout(() => setAttempt(a => a + 1), Math.min(1000 * 2 ** Math.min(attempt, 4), 15000));
        }
      });
    })().catch(error => notify.current?.('disconnected', String(error)));
    return () => {
      cancelled = true;
      clearTimeout(retry);
      try {
        rfb?.disconnect();
      } catch {
        // already disconnected
      }
    };
  }, [locoApi, environment, index, attempt]);

  return (
    <div
      ref={container}
      data-testid={`loco-screen-${index}`}
      style={{ width: '100%', aspectRatio: '720 / 400', background: '#000' }}
    />
  );
}
