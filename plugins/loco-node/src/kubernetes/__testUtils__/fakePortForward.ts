import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import type { WebSocket } from 'ws';
import type { FailureStatus } from './fakeApiProtocol';

/** Answers an upgrade request with an HTTP error instead of switching protocols. */
export function refuseUpgrade(
  socket: net.Socket,
  status: number,
  body: FailureStatus | string,
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain' : 'application/json';
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      `content-type: ${type}`,
      `content-length: ${Buffer.byteLength(text)}`,
      '',
      text,
    ].join('\r\n'),
  );
}

/**
 * TEST DOUBLE of the kubelet's side of `pods/portforward` over WebSocket
 * (`v4.channel.k8s.io`): each channel opens with the port number (data on
 * channel 0, errors on channel 1), then data frames carry the channel byte
 * first. Dials the pod IP, as the kubelet does.
 */
export function forwardPort(ws: WebSocket, host: string, port: number): void {
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16LE(port);
  ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
  ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
  const target = net.connect({ host, port });
  target.on('data', (data: Buffer) =>
    ws.send(Buffer.concat([Buffer.from([0]), data])),
  );
  target.on('error', error => {
    ws.send(
      Buffer.concat([
        Buffer.from([1]),
        Buffer.from(`error forwarding port ${port}: ${error.message}`),
      ]),
    );
    ws.close();
  });
  target.on('end', () => ws.close());
  ws.on('message', (data: Buffer) => {
    if (data[0] === 0) target.write(data.subarray(1));
  });
  ws.on('close', () => target.destroy());
}
