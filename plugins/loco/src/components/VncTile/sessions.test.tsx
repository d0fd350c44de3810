import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { VNC_CLOSE } from '@loco-portal/plugin-loco-common';
import { fakeRfbs, renderLive, tile } from '../../__testUtils__/fixtures';

jest.setTimeout(30_000);

const urlOf = (rfb: any): string => rfb.url.url;

describe('a tile’s VNC session', () => {
  beforeEach(() => fakeRfbs().splice(0));

  it('is view-only on the server while the user watches, and can type only on the tile the user plays', async () => {
    await renderLive(2);
    expect(fakeRfbs().map(urlOf)).toEqual([
      expect.stringMatching(/instances\/0\/vnc\?viewOnly=true$/),
      expect.stringMatching(/instances\/1\/vnc\?viewOnly=true$/),
    ]);

    fireEvent.mouseDown(screen.getByTestId('loco-screen-0'));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(3));
    const [watching, , playing] = fakeRfbs();
    expect(watching.disconnected).toBe(true);
    expect(urlOf(playing)).toMatch(/instances\/0\/vnc$/);
    act(() => {
      playing.dispatchEvent(new Event('connect'));
    });
    expect(playing.viewOnly).toBe(false);

    // Playing on another tile hands this one back to a view-only session.
    fireEvent.mouseDown(screen.getByTestId('loco-screen-1'));
    await waitFor(() => expect(fakeRfbs()).toHaveLength(5));
    expect(playing.disconnected).toBe(true);
    const latest = fakeRfbs().slice(3).map(urlOf).sort();
    expect(latest).toEqual([
      expect.stringMatching(/instances\/0\/vnc\?viewOnly=true$/),
      expect.stringMatching(/instances\/1\/vnc$/),
    ]);
  });

  it('says the user has too many screens open when the gateway refuses the session for that', async () => {
    await renderLive(1);
    const [rfb] = fakeRfbs();
    act(() => {
      rfb.url.serverCloses(
        VNC_CLOSE.tooManySessions,
        'too many screens open: at most 32 per user',
      );
      rfb.dispatchEvent(
        Object.assign(new Event('disconnect'), { detail: { clean: false } }),
      );
    });
    await waitFor(() =>
      expect(within(tile(0)).getByTestId('loco-status')).toHaveTextContent(
        /refused: too many screens open: at most 32 per user; close other Loco tabs or tiles; retrying in 1 s/,
      ),
    );
  });

  it('says the connection was lost when it ends without a close frame', async () => {
    await renderLive(1);
    act(() => {
      fakeRfbs()[0].dispatchEvent(
        Object.assign(new Event('disconnect'), { detail: { clean: false } }),
      );
    });
    await waitFor(() =>
      expect(within(tile(0)).getByTestId('loco-status')).toHaveTextContent(
        /connection lost; retrying in 1 s/,
      ),
    );
  });
});
