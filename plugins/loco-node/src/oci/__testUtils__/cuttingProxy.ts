import http from 'node:http';
import type net from 'node:net';

export interface CuttingProxy {
  host: string;
  /** Request heads that passed, in order (method, path, range). */
  seen: Array<{ method: string; path: string; range?: string }>;
  /** The next blob answer is cut after this many body bytes. */
  cutNextBlobAfter(bytes: number): void;
  stop(): Promise<void>;
}

/**
 * A test double of a flaky network between client and registry: an HTTP
 * proxy that forwards to the real registry and, when told, destroys the
 * connection of the next blob download after N body bytes (a cut mid-pull).
 */
export async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const seen: CuttingProxy['seen'] = [];
  let cutAfter: number | undefined;
  const server = http.createServer((req, res) => {
    const range = req.headers.range;
    seen.push({ method: req.method ?? '', path: req.url ?? '', range });
    const upstream = http.request(
      `http://${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: target } },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const cut = /\/blobs\/sha256:/.test(req.url ?? '')
          ? cutAfter
          : undefined;
        if (cut === undefined) {
          answer.pipe(res);
          return;
        }
        cutAfter = undefined;
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          const room = cut - sent;
          if (room > 0) res.write(chunk.subarray(0, room));
          sent += chunk.length;
          if (sent >= cut) {
            answer.destroy();
            res.socket?.destroy();
          }
        });
      },
    );
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    cutNextBlobAfter: bytes => {
      cutAfter = bytes;
    },
    stop: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
