import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  fakeRfbs,
  liveRfb,
  renderLive,
  tile,
} from '../../__testUtils__/fixtures';

jest.setTimeout(30_000);

describe('Loco tile controls', () => {
  beforeEach(() => {
    fakeRfbs().splice(0);
    window.localStorage.clear();
  });

  it('gives the keyboard to the clicked tile only, and takes it back on release', async () => {
    await renderLive(3);
    fireEvent.mouseDown(screen.getByTestId('loco-screen-1'));
    await waitFor(() =>
      expect(tile(1)).toHaveAttribute('data-focused', 'true'),
    );
    await waitFor(() => expect(liveRfb(1).url.url).toMatch(/1\/vnc$/));
    expect(liveRfb(1)).toMatchObject({
      viewOnly: false,
      focusOnClick: true,
      focused: true,
    });
    expect(liveRfb(0)).toMatchObject({ viewOnly: true, focusOnClick: false });
    expect(liveRfb(2)).toMatchObject({ viewOnly: true, focusOnClick: false });

    fireEvent.click(within(tile(1)).getByRole('button', { name: 'Release' }));
    await waitFor(() =>
      expect(liveRfb(1).url.url).toMatch(/1\/vnc\?viewOnly=true$/),
    );
    expect(liveRfb(1)).toMatchObject({ viewOnly: true, focused: false });
  });

  it('changes scaling and picture settings on the live sessions, without reconnecting, and remembers the picture', async () => {
    await renderLive(2);
    fireEvent.mouseDown(screen.getByTestId('loco-screen-0'));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(3)); // playing: a session that types
    const playing = liveRfb(0);
    fireEvent.click(screen.getByRole('checkbox', { name: /scale to fit/i }));
    await waitFor(() => expect(playing.scaleViewport).toBe(false));
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-0' }),
    );
    fireEvent.click(await screen.findByText('Picture quality…'));
    fireEvent.change(screen.getByTestId('loco-quality'), {
      target: { value: '2' },
    });
    fireEvent.change(screen.getByTestId('loco-compression'), {
      target: { value: '8' },
    });
    await waitFor(() =>
      expect(playing).toMatchObject({ qualityLevel: 2, compressionLevel: 8 }),
    );
    // One choice for every screen of this browser, kept for the next visit.
    await waitFor(() =>
      expect(liveRfb(1)).toMatchObject({
        qualityLevel: 2,
        compressionLevel: 8,
      }),
    );
    expect(JSON.parse(window.localStorage.getItem('loco.picture')!)).toEqual({
      qualityLevel: 2,
      compressionLevel: 8,
    });
    expect(fakeRfbs()).toHaveLength(3);
    expect(liveRfb(0)).toBe(playing);
  });

  it('moves focus with Alt+Shift+arrows and releases with Alt+Shift+Escape', async () => {
    await renderLive(4);
    fireEvent.keyDown(window, {
      key: 'ArrowRight',
      altKey: true,
      shiftKey: true,
    });
    await waitFor(() =>
      expect(tile(0)).toHaveAttribute('data-focused', 'true'),
    );
    fireEvent.keyDown(window, {
      key: 'ArrowRight',
      altKey: true,
      shiftKey: true,
    });
    await waitFor(() =>
      expect(tile(1)).toHaveAttribute('data-focused', 'true'),
    );
    await waitFor(() => expect(liveRfb(1).viewOnly).toBe(false));
    fireEvent.keyDown(window, { key: 'Escape', altKey: true, shiftKey: true });
    await waitFor(() =>
      expect(tile(1)).toHaveAttribute('data-focused', 'false'),
    );
    await waitFor(() => expect(liveRfb(1).viewOnly).toBe(true));
  });

  it('runs an instance action only after confirmation and reports the result', async () => {
    const api = await renderLive(2);
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-1' }),
    );
    fireEvent.click(await screen.findByText('Restart emulator…'));
    expect(
      await screen.findByText(/What is not saved in the guest is lost/),
    ).toBeInTheDocument();
    expect(api.runAction).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Restart emulator' }));
    await waitFor(() =>
      expect(api.runAction).toHaveBeenCalledWith('loco-demo', 1, 'restart'),
    );
    // Answered, but the screen is not back yet: not "done".
    expect(await within(tile(1)).findByTestId('loco-notice')).toHaveTextContent(
      'Restart emulator: restarting…',
    );
    const old = liveRfb(1);
    act(() => {
      old.dispatchEvent(
        Object.assign(new Event('disconnect'), { detail: { clean: true } }),
      );
    });
    await waitFor(() => expect(liveRfb(1)).not.toBe(old), { timeout: 3000 });
    expect(within(tile(1)).getByTestId('loco-notice')).toHaveTextContent(
      'Restart emulator: restarting…',
    );
    act(() => {
      liveRfb(1).dispatchEvent(new Event('connect'));
    });
    await waitFor(() =>
      expect(within(tile(1)).getByTestId('loco-notice')).toHaveTextContent(
        'Restart emulator: done, the screen is live again',
      ),
    );
  });

  it('reports a failed action in words', async () => {
    const api = await renderLive(1);
    api.runAction.mockRejectedValueOnce(
      new Error('Missing permission loco.environment.manage'),
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-0' }),
    );
    fireEvent.click(await screen.findByText('Save state…'));
    fireEvent.click(await screen.findByRole('button', { name: 'Save state' }));
    expect(await within(tile(0)).findByTestId('loco-notice')).toHaveTextContent(
      'Save state failed: Missing permission loco.environment.manage',
    );
  });

  it('sends Ctrl-Alt-Del only to a controlled tile, and says why not before', async () => {
    await renderLive(1);
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-0' }),
    );
    const item = (await screen.findByText('Send Ctrl-Alt-Del')).closest('li')!;
    expect(item).toHaveAttribute('aria-disabled', 'true');
    expect(item).toHaveTextContent('Take control of this screen first');
    fireEvent.keyDown(item, { key: 'Escape' });
    await waitFor(() =>
      expect(screen.queryByText('Send Ctrl-Alt-Del')).not.toBeInTheDocument(),
    );

    fireEvent.mouseDown(screen.getByTestId('loco-screen-0'));
    await waitFor(() => expect(liveRfb(0).viewOnly).toBe(false));
    act(() => {
      liveRfb(0).dispatchEvent(new Event('connect'));
    });
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-0' }),
    );
    fireEvent.click(await screen.findByText('Send Ctrl-Alt-Del'));
    await waitFor(() => expect(liveRfb(0).ctrlAltDels).toBe(1));
  });

  it('reconnects by itself after a lost connection, and at once on request', async () => {
    await renderLive(1);
    act(() => {
      fakeRfbs()[0].dispatchEvent(
        Object.assign(new Event('disconnect'), { detail: { clean: false } }),
      );
    });
    await waitFor(() =>
      expect(tile(0)).toHaveAttribute('data-state', 'disconnected'),
    );
    expect(within(tile(0)).getByTestId('loco-status')).toHaveTextContent(
      'disconnected: connection lost; retrying in 1 s',
    );
    await waitFor(() => expect(fakeRfbs()).toHaveLength(2), { timeout: 3000 });

    fireEvent.click(
      screen.getByRole('button', { name: 'Reconnect loco-demo-0' }),
    );
    await waitFor(() => expect(fakeRfbs()).toHaveLength(3));
    expect(fakeRfbs()[1].disconnected).toBe(true);
  });

  it('pauses a tile scrolled out of view and resumes it when it comes back', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    });
    const observers: Array<(entries: any[]) => void> = [];
    (window as any).IntersectionObserver = class {
      constructor(callback: (entries: any[]) => void) {
        observers.push(callback);
      }
      observe() {}
      disconnect() {}
    };
    try {
      await renderLive(1);
      act(() => observers[0]([{ isIntersecting: false }]));
      act(() => {
        jest.advanceTimersByTime(2500);
      });
      await waitFor(() =>
        expect(tile(0)).toHaveAttribute('data-state', 'paused'),
      );
      expect(fakeRfbs()[0].disconnected).toBe(true);
      act(() => observers[0]([{ isIntersecting: true }]));
      await waitFor(() => expect(fakeRfbs()).toHaveLength(2));
    } finally {
      delete (window as any).IntersectionObserver;
      jest.useRealTimers();
    }
  });
});
