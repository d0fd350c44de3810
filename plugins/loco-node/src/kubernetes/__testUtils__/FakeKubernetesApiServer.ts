import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import {
  failureStatus,
  parsePath,
  parseSelector,
  type Resource,
} from './fakeApiProtocol';
import { FakeObjectStore, type StoreEvent } from './FakeObjectStore';
import { forwardPort } from './fakePortForward';

/**
 * TEST DOUBLE of a Kubernetes API server, for pods, StatefulSets and Secrets, that
 * follows the real list/watch protocol closely enough for client-node's
 * informer: lists carry `metadata.resourceVersion`; `?watch=true|1` streams
 * newline-delimited JSON events (chunked) from a resourceVersion; BOOKMARK
 * events when `allowWatchBookmarks=true`; a watch from a compacted
 * resourceVersion gets an `ERROR` event with a `410 Gone` Status and the stream
 * ends (what kube-apiserver does); `labelSelector` supports `k=v`, `k!=v`, `k`
 * and `!k`; bearer tokens are checked; `pods/portforward` over WebSocket
 * (`v4.channel.k8s.io`: data on channel 0, errors on channel 1, each opened by
 * the port number) dials the pod IP, as the kubelet dials the pod. Controls let a test drop watches, go
 * down (connection refused) and come back on the same port, and count requests.
 */
interface OpenWatch {
  resource: Resource;
  namespace: string | null;
  selector: (labels: Record<string, string>) => boolean;
  bookmarks: boolean;
  res: http.ServerResponse;
}

type Route = NonNullable<ReturnType<typeof parsePath>>;

export interface RequestLog {
  method: string;
  path: string;
  watch: boolean;
}

export class FakeKubernetesApiServer {
  readonly requests: RequestLog[] = [];
  private readonly store = new FakeObjectStore();
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private readonly watchListeners = new Set<() => void>();
  private server: http.Server | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: protocols =>
      protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false,
  });
  port = 0;

  constructor(
    private readonly options: {
      token?: string;
      bookmarkIntervalMs?: number;
      port?: number;
    } = {},
  ) {
    this.store.subscribe(event => {
      for (const w of this.watches) this.deliver(w, event);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('upgrade', (req, socket, head) =>
      this.upgrade(req, socket as Socket, head),
    );
    server.on('connection', socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port || this.options.port || 0, '127.0.0.1', () =>
        resolve(),
      );
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.bookmarkTimer = setInterval(
      () => this.sendBookmarks(),
      this.options.bookmarkIntervalMs ?? 200,
    );
  }

  /** Connection refused from now on (an outage); `start()` again to recover on the same port. */
  async stop(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    const server = this.server;
    this.server = undefined;
    this.watches.clear();
    for (const socket of this.sockets) socket.destroy();
    if (server)
      await new Promise<void>(resolve => server.close(() => resolve()));
  }

  /** Ends every open watch stream abruptly, as a restarting API server or a proxy does. */
  dropWatches(): void {
    for (const w of this.watches) w.res.socket?.destroy();
    this.watches.clear();
  }

  /** Forgets history: watches from any resourceVersion seen so far get `410 Gone`. */
  compact(): void {
    this.store.compact();
  }

  openWatchCount(resource?: Resource): number {
    return [...this.watches].filter(w => !resource || w.resource === resource)
      .length;
  }

  /** Resolves when at least `count` watches are open (the informers are live). */
  async waitForWatches(count: number): Promise<void> {
    while (this.openWatchCount() < count) {
      await new Promise<void>(resolve => {
        const done = () => {
          this.watchListeners.delete(done);
          resolve();
        };
        this.watchListeners.add(done);
      });
    }
  }

  /** Creates or replaces an object and tells the watchers. */
  apply(resource: Resource, object: any): any {
    return this.store.apply(resource, object);
  }

  remove(resource: Resource, namespace: string, name: string): void {
    this.store.remove(resource, namespace, name);
  }

  list(resource: Resource): any[] {
    return this.store.list(resource);
  }

  private deliver(w: OpenWatch, event: StoreEvent): void {
    const meta = event.object.metadata;
    if (w.resource !== event.resource) return;
    if (w.namespace && meta.namespace !== w.namespace) return;
    if (!w.selector(meta.labels ?? {})) return;
    w.res.write(
      `${JSON.stringify({ type: event.type, object: event.object })}\n`,
    );
  }

  private sendBookmarks(): void {
    for (const w of this.watches) {
      if (!w.bookmarks) continue;
      const kind = w.resource === 'pods' ? 'Pod' : 'StatefulSet';
      const apiVersion = w.resource === 'pods' ? 'v1' : 'apps/v1';
      w.res.write(
        `${JSON.stringify({
          type: 'BOOKMARK',
          object: {
            kind,
            apiVersion,
            metadata: { resourceVersion: String(this.store.resourceVersion) },
          },
        })}\n`,
      );
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      watch,
    });
    if (
      this.options.token &&
      req.headers.authorization !== `Bearer ${this.options.token}`
    ) {
      this.status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const route = parsePath(url.pathname);
    if (!route) {
      this.status(
        res,
        404,
        'NotFound',
        `the server could not find the requested resource ${url.pathname}`,
      );
      return;
    }
    if (req.method === 'DELETE' && route.name) {
      this.deleteObject(res, route.resource, route.namespace!, route.name);
    } else if (req.method === 'GET' && route.name) {
      this.getObject(res, route.resource, route.namespace!, route.name);
    } else if (req.method !== 'GET') {
      this.status(res, 405, 'MethodNotAllowed', 'not supported by the fake');
    } else if (watch) {
      this.serveWatch(res, route, url.searchParams);
    } else {
      this.serveList(res, route, url.searchParams);
    }
  }

  private getObject(
    res: http.ServerResponse,
    resource: Resource,
    namespace: string,
    name: string,
  ): void {
    const existing = this.store.get(resource, namespace, name);
    if (!existing) {
      this.status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(existing));
  }

  private deleteObject(
    res: http.ServerResponse,
    resource: Resource,
    namespace: string,
    name: string,
  ): void {
    const existing = this.store.remove(resource, namespace, name);
    if (!existing) {
      this.status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(existing));
  }

  private serveList(
    res: http.ServerResponse,
    route: Route,
    params: URLSearchParams,
  ): void {
    const selector = parseSelector(params.get('labelSelector') ?? '');
    const items = this.list(route.resource).filter(
      o =>
        (!route.namespace || o.metadata.namespace === route.namespace) &&
        selector(o.metadata.labels ?? {}),
    );
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        kind: route.resource === 'pods' ? 'PodList' : 'StatefulSetList',
        apiVersion: route.resource === 'pods' ? 'v1' : 'apps/v1',
        metadata: { resourceVersion: String(this.store.resourceVersion) },
        items,
      }),
    );
  }

  private serveWatch(
    res: http.ServerResponse,
    route: Route,
    params: URLSearchParams,
  ): void {
    const { compactedBelow } = this.store;
    const from = Number(
      params.get('resourceVersion') || this.store.resourceVersion,
    );
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    res.flushHeaders();
    if (from < compactedBelow) {
      const message = `too old resource version: ${from} (${compactedBelow})`;
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: failureStatus(410, 'Expired', message),
        })}\n`,
      );
      return;
    }
    const w: OpenWatch = {
      resource: route.resource,
      namespace: route.namespace,
      selector: parseSelector(params.get('labelSelector') ?? ''),
      bookmarks: params.get('allowWatchBookmarks') === 'true',
      res,
    };
    for (const event of this.store.since(from)) this.deliver(w, event);
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
    const timeout = Number(params.get('timeoutSeconds') || 0);
    if (timeout > 0) setTimeout(() => res.end(), timeout * 1000).unref();
    for (const listener of [...this.watchListeners]) listener();
  }

  private upgrade(
    req: http.IncomingMessage,
    socket: Socket,
    head: Buffer,
  ): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: 'GET', path: url.pathname, watch: false });
    const m =
      /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(
        url.pathname,
      );
    const pod = m ? this.store.get('pods', m[1], m[2]) : undefined;
    const port = Number(url.searchParams.get('ports'));
    const authorized =
      !this.options.token ||
      req.headers.authorization === `Bearer ${this.options.token}`;
    if (!authorized || !pod || !port) {
      socket.end(
        `HTTP/1.1 ${authorized ? 404 : 401} ${
          authorized ? 'Not Found' : 'Unauthorized'
        }\r\n\r\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, ws =>
      forwardPort(ws, pod.status.podIP, port),
    );
  }

  private status(
    res: http.ServerResponse,
    code: number,
    reason: string,
    message: string,
  ) {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(failureStatus(code, reason, message)));
  }
}
