import { useCallback, useEffect, useState } from 'react';
import {
  identityApiRef,
  useApi,
  alertApiRef,
} from '@backstage/core-plugin-api';
import type { LocoSeatList } from '@loco-portal/plugin-loco-common';
import { locoApiRef } from '../../api/LocoApi';

/**
 * Seats are polled this often: a claim, release or take-over reaches every
 * other viewer's tab within a second (the app has no signals wired).
 */
export const SEATS_REFRESH_MS = 1000;

/** The environment's seats, who the signed-in user is, and the seat changes. */
export function useSeats(environment: string) {
  const locoApi = useApi(locoApiRef);
  const identityApi = useApi(identityApiRef);
  const alertApi = useApi(alertApiRef);
  const [list, setList] = useState<LocoSeatList | undefined>();
  const [me, setMe] = useState<string | undefined>();

  useEffect(() => {
    let active = true;
    identityApi
      .getBackstageIdentity()
      .then(identity => active && setMe(identity.userEntityRef))
      .catch(() => undefined);
    return () => {
      active = false;
    };
  }, [identityApi]);

  useEffect(() => {
    let active = true;
    const load = () =>
      locoApi
        .listSeats(environment)
        .then(next => active && setList(next))
        // Unknown stays unknown: the last list is kept, not emptied.
        .catch(() => undefined);
    void load();
    const timer = setInterval(load, SEATS_REFRESH_MS);
    return () => {
      active = false;
      clearInterval(timer);
    };
  }, [locoApi, environment]);

  const change = useCallback(
    async (run: () => Promise<LocoSeatList>) => {
      try {
        setList(await run());
      } catch (error) {
        alertApi.post({
          message: `Seat not changed: ${(error as Error).message}`,
          severity: 'error',
          display: 'transient',
        });
      }
    },
    [alertApi],
  );

  return {
    list,
    me,
    holderOf: (index: number) =>
      list?.seats.find(s => s.index === index)?.holder,
    claim: (index: number) =>
      change(() => locoApi.claimSeat(environment, index)),
    leave: (index: number) =>
      change(() => locoApi.leaveSeat(environment, index)),
    takeOver: (index: number) =>
      change(() => locoApi.takeOverSeat(environment, index)),
  };
}

export type SeatsState = ReturnType<typeof useSeats>;
