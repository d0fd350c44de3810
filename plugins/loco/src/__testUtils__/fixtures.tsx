import { SWRConfig } from 'swr';
import { ReactNode } from 'react';
import { act, screen, waitFor } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { identityApiRef } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { summarizeStates } from '@loco-portal/plugin-loco-common';
import type {
  InstanceState,
  LocoEnvironment,
  LocoSeatList,
} from '@loco-portal/plugin-loco-common';
import RFB from '@novnc/novnc';
import { LocoApi, locoApiRef } from '../api/LocoApi';
import { LocoTab } from '../components/LocoTab/LocoTab';

export const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'loco-demo',
    annotations: { 'loco.dev/environment': 'loco-demo' },
  },
  spec: {},
};

const REASONS: Partial<Record<InstanceState, string>> = {
  unhealthy: 'emulator exited (signal SIGKILL)',
  starting: 'booting from snapshot',
};

/** An environment of `count` instances; instance 1 failed, the rest are healthy unless `states` says otherwise. */
export function environment(
  count: number,
  states: Record<number, InstanceState> = { 1: 'unhealthy' },
): LocoEnvironment {
  const instances = Array.from({ length: count }, (_, index) => {
    const state = states[index] ?? 'healthy';
    const reasons = [REASONS[state] ?? 'running, screen updating'];
    return {
      index,
      name: `loco-demo-${index}`,
      state,
      health: { state, reasons, checkedAt: '', facts: {} as any },
    };
  });
  return {
    name: 'loco-demo',
    runtime: 'local',
    location: 'local',
    owner: null,
    storageMode: 'ephemeral',
    snapshotTag: null,
    desiredInstances: count,
    instances,
    summary: summarizeStates(instances.map(i => i.state)),
  };
}

/**
 * Stands in for the browser's WebSocket to the gateway (test double): records
 * the URL it was opened with, and can be closed by the "server" with a code
 * and reason, as a real close frame would.
 */
export class FakeVncSocket extends EventTarget {
  readyState = 0;
  binaryType = 'arraybuffer';
  constructor(readonly url: string) {
    super();
  }
  close() {
    this.readyState = 3;
  }
  /** The server's close frame arriving. */
  serverCloses(code: number, reason: string) {
    this.readyState = 3;
    this.dispatchEvent(
      Object.assign(new Event('close'), { code, reason, wasClean: true }),
    );
  }
}

/** The seat list a fake backend answers: `seats` as given. */
export const seatList = (
  seats: Array<{ index: number; holder: string }> = [],
): LocoSeatList => ({
  environment: 'loco-demo',
  seats: seats.map(s => ({
    environment: 'loco-demo',
    claimedAt: '2026-12-03T10:00:00.000Z',
    ...s,
  })),
  gracePeriodSeconds: 180,
  maxSeatsPerUser: 1,
});

export function fakeLocoApi(
  env: LocoEnvironment | Error,
): jest.Mocked<LocoApi> {
  /** The test app's signed-in user (mockApis.identity's default). */
  const ME = 'user:default/test';
  let seats: Array<{ index: number; holder: string }> = [];
  return {
    // A backend's seats, kept like the real one's: the next poll sees a claim.
    listSeats: jest.fn(async (_e: string) => seatList(seats)),
    claimSeat: jest.fn(async (_e: string, index: number) => {
      seats = [...seats.filter(s => s.index !== index), { index, holder: ME }];
      return seatList(seats);
    }),
    leaveSeat: jest.fn(async (_e: string, index: number) => {
      seats = seats.filter(s => s.index !== index);
      return seatList(seats);
    }),
    takeOverSeat: jest.fn(async (_e: string, index: number) => {
      seats = [...seats.filter(s => s.index !== index), { index, holder: ME }];
      return seatList(seats);
    }),
    listEnvironments: jest.fn(),
    getEnvironment: jest.fn(async (_name: string) => {
      if (env instanceof Error) throw env;
      return env;
    }),
    openVnc: jest.fn(
      async (e, i, { viewOnly }) =>
        new FakeVncSocket(
          `ws://localhost/api/loco/environments/${e}/instances/${i}/vnc${
            viewOnly ? '?viewOnly=true' : ''
          }`,
        ) as unknown as WebSocket,
    ),
    openAudio: jest.fn(
      async (e, i) =>
        new FakeVncSocket(
          `ws://localhost/api/loco/environments/${e}/instances/${i}/audio`,
        ) as unknown as WebSocket,
    ),
    runAction: jest.fn(async (e, index, action) => ({
      environment: e,
      index,
      action,
      status: 'done',
    })),
    publishSnapshot: jest.fn(async (e, index, tag) => ({
      environment: e,
      index,
      tag,
      digest: `sha256:${'0'.repeat(64)}`,
    })),
    screenshot: jest.fn(
      async (_e: string, _i: number) =>
        new Blob(['png'], { type: 'image/png' }),
    ),
    badgeUrl: jest.fn(
      async e => `http://localhost/api/loco/badges/environments/${e}.svg`,
    ),
    publicBadgeUrl: jest.fn(
      async (_e: string) =>
        'http://localhost/api/loco/badges/public/Zm9yLXRlc3RzLW9ubHktMDA.svg',
    ),
  };
}

/** The FakeRfb sessions setupTests' noVNC stand-in has created, oldest first. */
export const fakeRfbs = () =>
  (RFB as unknown as { instances: any[] }).instances;

/**
 * The open session of tile `index` (the newest not disconnected): playing on
 * a tile and leaving it open new sessions, since input is allowed per session.
 */
export const liveRfb = (index: number) => {
  const open = fakeRfbs().filter(
    rfb => !rfb.disconnected && rfb.url.url.includes(`/instances/${index}/vnc`),
  );
  return open[open.length - 1];
};

export function renderWithLoco(
  node: ReactNode,
  locoApi: LocoApi,
  permissions: { control?: boolean; manage?: boolean } = {
    control: true,
    manage: true,
  },
) {
  const permissionApi = mockApis.permission({
    authorize: request => {
      const decisions: Record<string, boolean | undefined> = {
        'loco.instance.control': permissions.control,
        'loco.environment.manage': permissions.manage,
      };
      const allowed = decisions[request.permission.name] ?? true;
      return (allowed ? 'ALLOW' : 'DENY') as any;
    },
  });
  // usePermission caches decisions in SWR's page-wide cache, and dedupes a
  // repeat within 2 s: without a cache of its own, a render would see the
  // decisions of the test before it.
  return renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <TestApiProvider
        apis={[
          [locoApiRef, locoApi],
          [permissionApiRef, permissionApi],
          // Signed in as user:default/test (the seat holder "me").
          [identityApiRef, mockApis.identity()],
          // Seat holders' names and pictures come from their User entities.
          [
            catalogApiRef,
            catalogApiMock({
              entities: [
                {
                  apiVersion: 'backstage.io/v1alpha1',
                  kind: 'User',
                  metadata: { name: 'ada', namespace: 'default' },
                  spec: {
                    profile: {
                      displayName: 'Ada Lovelace',
                      picture: 'https://example.com/ada.png',
                    },
                  },
                },
              ],
            }),
          ],
        ]}
      >
        <EntityProvider entity={entity}>{node}</EntityProvider>
      </TestApiProvider>
    </SWRConfig>,
  );
}

/** The tile card of instance `i` on the rendered page. */
export const tile = (i: number) => screen.getByTestId(`loco-tile-${i}`);

/** Renders the Loco tab for `count` instances with every session connected. */
export async function renderLive(
  count: number,
  permissions?: { control?: boolean; manage?: boolean },
) {
  const api = fakeLocoApi(environment(count, {}));
  await renderWithLoco(<LocoTab />, api, permissions);
  await waitFor(() => expect(fakeRfbs()).toHaveLength(count));
  act(() => fakeRfbs().forEach(rfb => rfb.dispatchEvent(new Event('connect'))));
  return api;
}
