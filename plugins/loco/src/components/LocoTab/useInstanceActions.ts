import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { locoApiRef, LocoInstanceAction } from '../../api/LocoApi';
import type { TileState } from '../VncTile/connection';
import { ACTION_TEXT } from './TileMenu';

/** A restart the tile still waits to see finished. */
interface PendingRestart {
  /** The backend answered (the new emulator is spawned). */
  answered: boolean;
  /** The tile was not live at some point since the request (the old emulator went). */
  dropped: boolean;
}

/**
 * Runs a tile's instance actions and keeps its notice line honest: the
 * backend answers a restart as soon as the new emulator is spawned, long
 * before its screen is back, so "done" waits until the tile is live again
 * (after having dropped); until then the notice says "restarting…".
 */
export function useInstanceActions(options: {
  environment: string;
  index: number;
  tileState: TileState;
}) {
  const { environment, index, tileState } = options;
  const locoApi = useApi(locoApiRef);
  const [notice, setNotice] = useState<string | null>(null);
  const restart = useRef<PendingRestart | null>(null);
  const stateNow = useRef(tileState);
  stateNow.current = tileState;
  const label = ACTION_TEXT.restart.label;

  useEffect(() => {
    const pending = restart.current;
    if (!pending) return;
    if (tileState !== 'live') pending.dropped = true;
    else if (pending.answered && pending.dropped) {
      restart.current = null;
      setNotice(`${label}: done, the screen is live again`);
    }
  }, [tileState, label]);

  const runAction = async (action: LocoInstanceAction) => {
    const { label: what } = ACTION_TEXT[action];
    const pending: PendingRestart | null =
      action === 'restart'
        ? { answered: false, dropped: stateNow.current !== 'live' }
        : null;
    restart.current = pending;
    setNotice(pending ? `${what}: restarting…` : `${what}: running…`);
    try {
      const result = await locoApi.runAction(environment, index, action);
      if (!pending) {
        setNotice(`${what}: ${result.status}`);
        return;
      }
      pending.answered = true;
      if (restart.current !== pending) return;
      // Usually the effect above says "done" later, once the screen is back.
      if (pending.dropped && stateNow.current === 'live') {
        restart.current = null;
        setNotice(`${what}: done, the screen is live again`);
      }
    } catch (e) {
      if (restart.current === pending) restart.current = null;
      setNotice(`${what} failed: ${(e as Error).message}`);
    }
  };

  return { notice, setNotice, runAction };
}
