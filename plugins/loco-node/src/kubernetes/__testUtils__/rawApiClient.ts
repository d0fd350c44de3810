import http from 'node:http';
import https from 'node:https';
import type { FakeKubernetesApiServer } from './FakeKubernetesApiServer';

/**
 * Plain HTTP(S) requests to the fake API server, for the tests of the fake
 * itself: they check the wire (status codes, headers, `Status` bodies, watch
 * lines), which client-node would hide.
 */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export function rawRequest(
  api: FakeKubernetesApiServer,
  path: string,
  options: { method?: string; token?: string; ca?: string } = {},
): Promise<RawAnswer> {
  const url = new URL(path, api.url);
  const get = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.token
          ? { authorization: `Bearer ${options.token}` }
          : {},
        ...(options.ca ? { ca: options.ca } : {}),
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: any = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: left as text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An open watch: its events as they arrive (BOOKMARKs left out), and a way to wait for more. */
export interface RawWatch {
  status: number;
  events: { type: string; object: any }[];
  /** Resolves once at least `count` events have arrived (or the stream ended). */
  waitFor(count: number): Promise<{ type: string; object: any }[]>;
  ended: Promise<void>;
  close(): void;
}

export function rawWatch(
  api: FakeKubernetesApiServer,
  path: string,
  token?: string,
): Promise<RawWatch> {
  const url = new URL(path, api.url);
  url.searchParams.set('watch', 'true');
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { headers: token ? { authorization: `Bearer ${token}` } : {} },
      res => {
        const events: RawWatch['events'] = [];
        const waiters = new Set<() => void>();
        let buffered = '';
        let done = false;
        const ended = new Promise<void>(r =>
          res.on('close', () => {
            done = true;
            for (const w of waiters) w();
            r();
          }),
        );
        res.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const line of lines.filter(Boolean)) {
            const event = JSON.parse(line);
            if (event.type !== 'BOOKMARK') events.push(event);
          }
          for (const w of waiters) w();
        });
        resolve({
          status: res.statusCode ?? 0,
          events,
          ended,
          close: () => req.destroy(),
          waitFor: async count => {
            while (events.length < count && !done) {
              await new Promise<void>(r => {
                const wake = () => {
                  waiters.delete(wake);
                  r();
                };
                waiters.add(wake);
              });
            }
            return events;
          },
        });
      },
    );
    req.on('error', reject);
  });
}
