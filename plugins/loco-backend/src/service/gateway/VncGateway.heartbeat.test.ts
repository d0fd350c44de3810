import WebSocket from 'ws';
import { CLOSE, VncSession } from './VncSession';
import {
  gatewayTestBed,
  RELAYS,
  viewerProtocols,
  waitFor,
} from './__testUtils__/gatewayTestBed';

jest.setTimeout(30_000);

/** A viewer whose WebSocket answers pings or not (a browser tab gone without a FIN). */
function viewer(url: string, answersPings: boolean) {
  const ws = new WebSocket(url, viewerProtocols(), { autoPong: answersPings });
  let pings = 0;
  ws.on('ping', () => pings++);
  const closed = new Promise<number>(resolve =>
    ws.once('close', code => resolve(code)),
  );
  const opened = new Promise<void>((resolve, reject) =>
    ws.once('open', () => resolve()).once('error', reject),
  );
  return { ws, opened, closed, pings: () => pings };
}

describe.each(RELAYS)(
  'VncGateway heartbeat, screens through %s',
  (_, zeroCopy) => {
    const bed = gatewayTestBed();

    it('ends a session whose viewer stops answering pings with 1001, and releases its VNC connection', async () => {
      const closes = jest.spyOn(VncSession.prototype, 'close');
      await bed.start({ zeroCopy, heartbeatIntervalMs: 100 });
      // Positive control: a viewer that answers pings outlives several of them.
      const alive = viewer(bed.url, true);
      await alive.opened;
      const silent = viewer(bed.url, false);
      await silent.opened;
      await waitFor(() => bed.rfb.openConnections() === 2);

      await silent.closed;
      await waitFor(() => bed.rfb.openConnections() === 1);
      await waitFor(() => bed.gateway.sessions.size === 1);
      // It ended first of all for the lost heartbeat: 1001, going away. (The
      // viewer itself sees its connection cut: it is not listening any more.)
      expect(closes.mock.calls[0]).toEqual([CLOSE.goingAway, 'heartbeat lost']);

      await waitFor(() => alive.pings() >= 5);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      expect(bed.gateway.sessions.size).toBe(1);
      alive.ws.close();
      await alive.closed;
      closes.mockRestore();
    });
  },
);
