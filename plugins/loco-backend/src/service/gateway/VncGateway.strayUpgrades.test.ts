import fs from 'node:fs';
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  gatewayTestBed,
  VIEWER,
  waitFor,
} from './__testUtils__/gatewayTestBed';

/** What a stray client sends: another plugin's WebSocket, or curl's h2c upgrade. */
const STRAY_REQUESTS = [
  (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
  (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n` +
    `Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
];

/** The status line the server answered with, or 'no answer' within `waitMs`. */
function sendRaw(port: number, request: string, waitMs = 2_000) {
  return new Promise<string>(resolve => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    let timer: NodeJS.Timeout | undefined = undefined;
    const done = (answer: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    timer = setTimeout(() => done('no answer'), waitMs);
    socket.on('data', chunk => {
      received += chunk.toString('latin1');
      const line = received.indexOf('\r\n');
      if (line >= 0) done(received.slice(0, line));
    });
    socket.on('error', () => done('connection error'));
    socket.on('close', () => done(received ? received : 'closed unanswered'));
  });
}

const openDescriptors = () => fs.readdirSync('/proc/self/fd').length;

describe('VncGateway: upgrades it does not own', () => {
  const bed = gatewayTestBed();
  const portOf = () => (bed.server.address() as net.AddressInfo).port;

  it('answers 1,000 stray upgrades once it listens, and keeps none of their descriptors', async () => {
    await bed.start();
    // Our own session first, as in the portal: the upgrade listener is attached.
    const viewer = await bed.open(VIEWER);
    viewer.close();
    const before = openDescriptors();

    const answers = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          sendRaw(
            portOf(),
            STRAY_REQUESTS[i % 2](i % 3 ? '/api/catalog/stream' : '/'),
          ),
        ),
      );
      for (const r of results) answers.set(r, (answers.get(r) ?? 0) + 1);
    }
    expect(Object.fromEntries(answers)).toEqual({
      'HTTP/1.1 404 Not Found': 1_000,
    });
    await waitFor(() => openDescriptors() <= before + 2);
    expect(bed.gateway.sessions.size).toBe(0);
  });

  it('leaves another listener its own upgrades and answers the rest when several plugins listen', async () => {
    await bed.start({}, { unclaimedUpgradeTimeoutMs: 300 });
    // Another plugin, like Backstage's signals backend: its own path only,
    // answered after an asynchronous authentication.
    const other = new WebSocketServer({ noServer: true });
    bed.server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/api/other/socket') return;
      setTimeout(
        () =>
          other.handleUpgrade(req, socket, head, ws =>
            ws.on('message', data => ws.send(data)),
          ),
        50,
      );
    });
    const viewer = await bed.open(VIEWER);

    const echo = new WebSocket(`ws://127.0.0.1:${portOf()}/api/other/socket`);
    await new Promise(resolve => echo.once('open', resolve));
    echo.send('ping');
    const [reply] = await new Promise<any[]>(r =>
      echo.once('message', (...a) => r(a)),
    );
    expect(reply.toString()).toBe('ping');

    // These strays wait for the same timeout as the echo's upgrade did, and
    // came later: once they are answered, the echo's timeout has fired too.
    expect(await sendRaw(portOf(), STRAY_REQUESTS[0]('/api/nobody'))).toBe(
      'HTTP/1.1 404 Not Found',
    );
    expect(await sendRaw(portOf(), STRAY_REQUESTS[1]('/'))).toBe(
      'HTTP/1.1 404 Not Found',
    );
    // The other plugin's session was left alone by it: it still echoes.
    echo.send('still there');
    const [again] = await new Promise<any[]>((resolve, reject) => {
      echo.once('message', (...a) => resolve(a));
      echo.once('close', code => reject(new Error(`echo closed (${code})`)));
    });
    expect(again.toString()).toBe('still there');
    expect(echo.readyState).toBe(WebSocket.OPEN);
    expect((await viewer.read(12)).toString()).toBe('RFB 003.008\n');
    echo.close();
    viewer.close();
    other.close();
  });

  it('answers upgrades still waiting for a listener when the backend shuts down', async () => {
    await bed.start({}, { unclaimedUpgradeTimeoutMs: 60_000 });
    // A listener that never answers; it runs after the gateway's, so once
    // it has the request the gateway holds the upgrade too.
    const reached = new Promise(resolve =>
      bed.server.on('upgrade', () => resolve(undefined)),
    );
    const answer = sendRaw(portOf(), STRAY_REQUESTS[0]('/api/nobody'), 5_000);
    await reached;
    bed.gateway.close();
    expect(await answer).toBe('HTTP/1.1 503 Service Unavailable');
  });
});
