import { mockCredentials } from '@backstage/backend-test-utils';
import { VNC_AUDIO_FORMAT } from '@loco-portal/plugin-loco-common';
import { WebSocket } from 'ws';
import * as msg from './__testUtils__/rfbClientMessages';
import {
  PLAYER,
  qemuGatewayBed,
  until,
  VIEWER,
} from './__testUtils__/qemuGatewayBed';
import { dominantFrequency } from './__testUtils__/audioSpectrum';

jest.setTimeout(300_000);

/** A listener on an instance's sound, collecting the PCM it receives. */
function listen(url: string, user: string) {
  const ws =
    user === VIEWER
      ? new WebSocket(url, [
          'binary',
          `backstage-token.${mockCredentials.user.token()}`,
        ])
      : new WebSocket(url, ['binary'], {
          headers: { Authorization: mockCredentials.user.header(user) },
        });
  const chunks: Buffer[] = [];
  ws.on('message', (data: Buffer) => chunks.push(data));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    opened,
    received: () => Buffer.concat(chunks),
  };
}

/** `text` and Return as key presses, as a browser's noVNC sends them. */
function typing(text: string): Buffer[] {
  return [...text]
    .map(c => c.charCodeAt(0))
    .concat(0xff0d)
    .flatMap(k => [msg.keyEvent(true, k), msg.keyEvent(false, k)]);
}

const BYTES_PER_SECOND =
  VNC_AUDIO_FORMAT.sampleRate * VNC_AUDIO_FORMAT.channels * 2;

describe('instance sound through the gateway (real QEMU, demo guest)', () => {
  const bed = qemuGatewayBed('gw-audio', { sound: 'ac97' });

  it('refuses a listener who is not signed in', async () => {
    const ws = new WebSocket(bed.audioUrl(true));
    const status = await new Promise<number | undefined>(resolve => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.once('open', () => resolve(undefined));
      ws.once('error', () => undefined);
    });
    ws.terminate();
    expect(status).toBe(401);
  });

  it("gives a view-only user and a player the guest's tone at its frequency", async () => {
    await bed.settledShell(240_000);
    const viewer = listen(bed.audioUrl(true), VIEWER);
    const player = listen(bed.audioUrl(false), PLAYER);
    await Promise.all([viewer.opened, player.opened]);

    const screen = await bed.open(PLAYER, true);
    await screen.handshake();
    for (const m of typing('tone 660 1500')) screen.send(m);

    // A second of the tone (QEMU sends about every 10 ms while it plays).
    const pcm = await until(async () => {
      const now = viewer.received();
      return now.length >= BYTES_PER_SECOND ? now : undefined;
    }, 120_000);
    expect(dominantFrequency(pcm, VNC_AUDIO_FORMAT.sampleRate)).toBeCloseTo(
      660,
      -1,
    );
    const heardByPlayer = await until(async () => {
      const now = player.received();
      return now.length >= BYTES_PER_SECOND / 2 ? now : undefined;
    }, 60_000);
    expect(
      dominantFrequency(heardByPlayer, VNC_AUDIO_FORMAT.sampleRate),
    ).toBeCloseTo(660, -1);

    await screen.close();
    viewer.ws.close();
    player.ws.close();
  });
});
