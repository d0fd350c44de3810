import http from 'node:http';
import type net from 'node:net';

/** A blob download held part way by {@link HoldingProxy}. */
export interface HeldDownload {
  /** Resolves when a blob download has sent the bytes and is held there. */
  reached: Promise<void>;
  /** Resolves when the client has gone away from the held download (it cancelled). */
  clientGone: Promise<void>;
  /** Lets the rest of the blob through. */
  release(): void;
}

export interface HoldingProxy {
  host: string;
  /** The next blob download of more than `bytes` stops after them until released. */
  holdNextBlobAfter(bytes: number): HeldDownload;
  stop(): Promise<void>;
}

/**
 * A test double of a slow network between client and registry: an HTTP
 * proxy that forwards to the real registry and, when told, holds the next
 * large blob download after N body bytes, so a test sees a pull in the
 * middle (its progress, its cancellation) without timing anything.
 */
export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  let armed: {
    bytes: number;
    hold: (answer: http.IncomingMessage, res: http.ServerResponse) => void;
  } | null = null;
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      `http://${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: target } },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const hold = /\/blobs\/sha256:/.test(req.url ?? '') ? armed : null;
        if (!hold) {
          answer.pipe(res);
          return;
        }
        let sent = 0;
        const onData = (chunk: Buffer) => {
          const room = hold.bytes - sent;
          sent += chunk.length;
          if (room > chunk.length || armed !== hold) {
            res.write(chunk);
            return;
          }
          // This download reaches the mark: send up to it, hold the rest.
          armed = null;
          res.write(chunk.subarray(0, room));
          answer.pause();
          answer.off('data', onData);
          if (room < chunk.length) answer.unshift(chunk.subarray(room));
          hold.hold(answer, res);
        };
        answer.on('data', onData);
        answer.once('end', () => res.end());
      },
    );
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    holdNextBlobAfter: bytes => {
      let reached!: () => void;
      let gone!: () => void;
      let release!: () => void;
      const released = new Promise<void>(r => {
        release = r;
      });
      const held: HeldDownload = {
        reached: new Promise(r => {
          reached = r;
        }),
        clientGone: new Promise(r => {
          gone = r;
        }),
        release: () => release(),
      };
      armed = {
        bytes,
        hold: (answer, res) => {
          res.once('close', () => {
            answer.destroy();
            gone();
          });
          reached();
          void released.then(() => {
            if (!res.destroyed) answer.pipe(res);
          });
        },
      };
      return held;
    },
    stop: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
