import { act, screen, waitFor } from '@testing-library/react';
import {
  environment,
  fakeLocoApi,
  fakeRfbs,
  renderWithLoco,
} from '../../__testUtils__/fixtures';
import { LocoTab } from './LocoTab';

jest.setTimeout(30_000);

describe('LocoTab', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('shows one tile per instance with its name, health and the reason in words', async () => {
    await renderWithLoco(<LocoTab />, fakeLocoApi(environment(3)));
    expect(await screen.findByText('loco-demo-2')).toBeInTheDocument();
    expect(screen.getAllByTestId(/^loco-tile-\d+$/)).toHaveLength(3);
    expect(screen.getByTestId('loco-tile-1')).toHaveAttribute(
      'data-state',
      'unhealthy',
    );
    expect(
      screen.getByText(/unhealthy: emulator exited \(signal SIGKILL\)/),
    ).toBeInTheDocument();
    expect(screen.getByTestId('loco-health-chip')).toHaveTextContent(
      '2/3 healthy',
    );
  });

  it('lays out about √N columns before it can measure the window', async () => {
    await renderWithLoco(<LocoTab />, fakeLocoApi(environment(9)));
    await screen.findByText('loco-demo-8');
    expect(screen.getByTestId('loco-grid').style.gridTemplateColumns).toBe(
      'repeat(3, 1fr)',
    );
    expect(screen.getAllByTestId(/^loco-tile-\d+$/)).toHaveLength(9);
  });

  it('shows a starting instance as booting with its reason', async () => {
    await renderWithLoco(
      <LocoTab />,
      fakeLocoApi(environment(2, { 0: 'starting' })),
    );
    await screen.findByText('loco-demo-0');
    expect(screen.getByTestId('loco-tile-0')).toHaveAttribute(
      'data-state',
      'booting',
    );
    expect(
      screen.getByText(/booting: booting from snapshot/),
    ).toBeInTheDocument();
  });

  it('connects each tile through the backend gateway, shared, with a session that cannot type until the user plays', async () => {
    await renderWithLoco(<LocoTab />, fakeLocoApi(environment(2)));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(2));
    const [first] = fakeRfbs();
    // The session itself is view-only on the server, not only noVNC's flag.
    expect(first.url.url).toBe(
      'ws://localhost/api/loco/environments/loco-demo/instances/0/vnc?viewOnly=true',
    );
    expect(first.options).toMatchObject({ shared: true });
    expect(first.viewOnly).toBe(true);
    expect(first.scaleViewport).toBe(true);
  });

  it('marks a tile live when its session connects', async () => {
    await renderWithLoco(<LocoTab />, fakeLocoApi(environment(1, {})));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(1));
    act(() => {
      fakeRfbs()[0].dispatchEvent(new Event('connect'));
    });
    await waitFor(() =>
      expect(screen.getByTestId('loco-tile-0')).toHaveAttribute(
        'data-state',
        'live',
      ),
    );
  });

  it('says what went wrong and what to do instead of showing tiles when the backend fails', async () => {
    await renderWithLoco(
      <LocoTab />,
      fakeLocoApi(new Error('backend unreachable')),
    );
    expect(
      await screen.findByText(/Could not load environment loco-demo/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Check that the environment exists/),
    ).toBeInTheDocument();
    expect(screen.queryAllByTestId(/^loco-tile-/)).toHaveLength(0);
  });

  it('explains an environment without instances, never showing fake tiles', async () => {
    await renderWithLoco(<LocoTab />, fakeLocoApi(environment(0)));
    expect(
      await screen.findByText('Environment loco-demo has no instances'),
    ).toBeInTheDocument();
    expect(screen.queryAllByTestId(/^loco-tile-/)).toHaveLength(0);
  });
});

describe('LocoTab after an emulator exit', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('keeps naming the exit while the runtime restarts the emulator', async () => {
    const env = environment(2, { 1: 'starting' });
    env.instances[1].health = {
      ...env.instances[1].health,
      reasons: ['emulator starting, not measured yet'],
      checkedAt: '2026-11-22T02:00:12.000Z',
      facts: {
        processAlive: true,
        lastExit: {
          code: null,
          signal: 'SIGKILL',
          at: '2026-11-22T02:00:00.000Z',
        },
      } as any,
    };
    const api = fakeLocoApi(env);
    await renderWithLoco(<LocoTab />, api);
    expect(
      await screen.findByText(
        'booting: emulator starting, not measured yet; restarted after the emulator exited (signal SIGKILL) 12 s ago',
      ),
    ).toBeInTheDocument();

    // A dropped session fetches health at once, where the cause is.
    await waitFor(() => expect(fakeRfbs()).toHaveLength(2));
    const calls = api.getEnvironment.mock.calls.length;
    act(() => {
      fakeRfbs()[0].dispatchEvent(
        Object.assign(new Event('disconnect'), { detail: { clean: true } }),
      );
    });
    await waitFor(() =>
      expect(api.getEnvironment.mock.calls.length).toBeGreaterThan(calls),
    );
    expect(
      screen.getByText(
        'disconnected: the server closed the session; retrying in 1 s',
      ),
    ).toBeInTheDocument();
  });
});
