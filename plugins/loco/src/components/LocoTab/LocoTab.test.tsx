import { act, screen, waitFor } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { summarizeStates } from '@loco-portal/plugin-loco-common';
import type { LocoEnvironment } from '@loco-portal/plugin-loco-common';
import RFB from '@novnc/novnc';
import { LocoApi, locoApiRef } from '../../api/LocoApi';
import { LocoTab } from './LocoTab';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'loco-demo', annotations: { 'loco.dev/environment': 'loco-demo' } },
  spec: {},
};

function environment(count: number): LocoEnvironment {
  const instances = Array.from({ length: count }, (_, index) => ({
    index,
    name: `loco-demo-${index}`,
    state: index === 1 ? ('unhealthy' as const) : ('healthy' as const),
    health: {
      state: index === 1 ? ('unhealthy' as const) : ('healthy' as const),
      reasons: index === 1 ? ['emulator exited (signal SIGKILL)'] : ['running, screen updating'],
      checkedAt: '',
      facts: {} as any,
    },
  }));
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

const api = (env: LocoEnvironment | Error): LocoApi => ({
  listEnvironments: jest.fn(),
  getEnvironment: jest.fn(async () => {
    if (env instanceof Error) throw env;
    return env;
  }),
  vncUrl: jest.fn(async (e, i) => `ws://localhost/api/loco/environments/${e}/instances/${i}/vnc`),
  vncProtocols: jest.fn(async () => ['binary', 'backstage-token.abc']),
});

const fakeRfbs = () => (RFB as unknown as { instances: any[] }).instances;

function renderTab(locoApi: LocoApi) {
  return renderInTestApp(
    <TestApiProvider apis={[[locoApiRef, locoApi]]}>
      <EntityProvider entity={entity}>
        <LocoTab />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('LocoTab', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('shows one tile per instance with its name, state and reason', async () => {
    await renderTab(api(environment(3)));
    expect(await screen.findByText('loco-demo-2')).toBeInTheDocument();
    expect(screen.getAllByTestId(/^loco-tile-/)).toHaveLength(3);
    expect(screen.getByText(/emulator exited \(signal SIGKILL\)/)).toBeInTheDocument();
    expect(screen.getAllByText('unhealthy')).toHaveLength(1);
  });

  it('connects each tile through the backend gateway with the user token, shared', async () => {
    await renderTab(api(environment(2)));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(2));
    const [first] = fakeRfbs();
    expect(first.url).toBe('ws://localhost/api/loco/environments/loco-demo/instances/0/vnc');
    expect(first.options).toMatchObject({ shared: true, wsProtocols: ['binary', 'backstage-token.abc'] });
  });

  it('marks a tile live when its session connects', async () => {
    await renderTab(api(environment(1)));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(1));
    act(() => {
      fakeRfbs()[0].dispatchEvent(new Event('connect'));
    });
    await waitFor(() =>
      expect(screen.getByTestId('loco-tile-0')).toHaveAttribute('data-connection', 'live'),
    );
  });

  it('says what went wrong instead of showing tiles when the backend fails', async () => {
    await renderTab(api(new Error('backend unreachable')));
    expect(await screen.findByText(/Could not load environment loco-demo/)).toBeInTheDocument();
    expect(screen.queryAllByTestId(/^loco-tile-/)).toHaveLength(0);
  });
});
