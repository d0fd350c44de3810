import { mockCredentials } from '@backstage/backend-test-utils';
import {
  locoEnvironmentReadPermission,
  vncAudioPath,
} from '@loco-portal/plugin-loco-common';
import WebSocket from 'ws';
import { startLocoTestBackend } from './__testUtils__/startLocoTestBackend';

/**
 * The sound socket in the real Backstage backend: it follows the permission
 * to watch (`loco.environment.read`), not the permission to play.
 */
async function startLoco(allowed: (permission: string) => boolean) {
  const { backend, audit, port } = await startLocoTestBackend({
    permit: allowed,
  });
  const url = `ws://localhost:${port}/api/loco${vncAudioPath('loco-demo', 1)}`;
  return { backend, audit, url };
}

/** Opens a sound socket as a browser does: 'open', or the refusal's status. */
function listen(url: string, protocols: string[]) {
  return new Promise<{ ws?: WebSocket; status?: number }>(resolve => {
    const ws = new WebSocket(url, protocols);
    ws.once('unexpected-response', (_req, res) =>
      resolve({ status: res.statusCode }),
    );
    ws.once('open', () => resolve({ ws }));
    ws.once('error', () => undefined);
  });
}

const asUser = () => [
  'binary',
  `backstage-token.${mockCredentials.user.token()}`,
];

describe('loco backend plugin: the sound socket', () => {
  it('admits a view-only user (read, no control)', async () => {
    const { backend, url } = await startLoco(
      name => name === locoEnvironmentReadPermission.name,
    );
    const { ws, status } = await listen(url, asUser());
    expect(status).toBeUndefined();
    ws!.close(1000);
    await new Promise(resolve => ws!.once('close', resolve));
    await backend.stop();
  });

  it('refuses a signed-in user without the read permission (403) and anyone not signed in (401)', async () => {
    const { backend, url } = await startLoco(() => false);
    expect(await listen(url, asUser())).toEqual({ status: 403 });
    expect(await listen(url, ['binary'])).toEqual({ status: 401 });
    await backend.stop();
  });
});
