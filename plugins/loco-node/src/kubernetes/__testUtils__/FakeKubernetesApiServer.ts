import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * TEST DOUBLE of a Kubernetes API server, for pods and StatefulSets only, that
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
export type Resource = 'pods' | 'statefulsets';

interface Event {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: any;
}

interface OpenWatch {
  resource: Resource;
  namespace: string | null;
  selector: (labels: Record<string, string>) => boolean;
  res: http.ServerResponse;
}

export interface RequestLog {
  method: string;
  path: string;
  watch: boolean;
}

export class FakeKubernetesApiServer {
  readonly requests: RequestLog[] = [];
  private readonly objects = {
    pods: new Map<string, any>(),
    statefulsets: new Map<string, any>(),
  };
  private readonly events: Event[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private readonly watchListeners = new Set<() => void>();
  private rv = 100;
  private compactedBelow = 0;
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
  ) {}

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
    // Like etcd compaction: a new revision, and nothing older can be resumed.
    this.compactedBelow = ++this.rv;
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
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const existing = this.objects[resource].get(key);
    const stored = structuredClone(object);
    // A re-created object gets a new uid, as in Kubernetes.
    stored.metadata.uid =
      existing?.metadata.uid ?? `uid-${resource}-${key}-${this.rv + 1}`;
    stored.metadata.resourceVersion = String(++this.rv);
    this.objects[resource].set(key, stored);
    this.emit({
      rv: this.rv,
      type: existing ? 'MODIFIED' : 'ADDED',
      resource,
      object: stored,
    });
    return stored;
  }

  remove(resource: Resource, namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const existing = this.objects[resource].get(key);
    if (!existing) return;
    this.objects[resource].delete(key);
    const gone = structuredClone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', resource, object: gone });
  }

  list(resource: Resource): any[] {
    return [...this.objects[resource].values()];
  }

  private emit(event: Event): void {
    this.events.push(event);
    for (const w of this.watches) this.deliver(w, event);
  }

  private deliver(w: OpenWatch, event: Event): void {
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
      if (!(w as any).bookmarks) continue;
      const kind = w.resource === 'pods' ? 'Pod' : 'StatefulSet';
      const apiVersion = w.resource === 'pods' ? 'v1' : 'apps/v1';
      w.res.write(
        `${JSON.stringify({
          type: 'BOOKMARK',
          object: {
            kind,
            apiVersion,
            metadata: { resourceVersion: String(this.rv) },
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
      const key = `${route.namespace}/${route.name}`;
      const existing = this.objects[route.resource].get(key);
      if (!existing) {
        this.status(
          res,
          404,
          'NotFound',
          `${route.resource} "${route.name}" not found`,
        );
        return;
      }
      this.remove(route.resource, route.namespace!, route.name);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(existing));
      return;
    }
    if (req.method !== 'GET' || route.name) {
      this.status(res, 405, 'MethodNotAllowed', 'not supported by the fake');
      return;
    }
    const selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    const matches = (o: any) =>
      (!route.namespace || o.metadata.namespace === route.namespace) &&
      selector(o.metadata.labels ?? {});
    if (!watch) {
      const kind = route.resource === 'pods' ? 'PodList' : 'StatefulSetList';
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          kind,
          apiVersion: route.resource === 'pods' ? 'v1' : 'apps/v1',
          metadata: { resourceVersion: String(this.rv) },
          items: this.list(route.resource).filter(matches),
        }),
      );
      return;
    }
    const from = Number(url.searchParams.get('resourceVersion') || this.rv);
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    res.flushHeaders();
    if (from < this.compactedBelow) {
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: `too old resource version: ${from} (${this.compactedBelow})`,
            reason: 'Expired',
            code: 410,
          },
        })}\n`,
      );
      return;
    }
    const w: OpenWatch = {
      resource: route.resource,
      namespace: route.namespace,
      selector,
      res,
    };
    (w as any).bookmarks =
      url.searchParams.get('allowWatchBookmarks') === 'true';
    for (const event of this.events)
      if (event.rv > from) this.deliver(w, event);
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
    const timeout = Number(url.searchParams.get('timeoutSeconds') || 0);
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
    const pod = m ? this.objects.pods.get(`${m[1]}/${m[2]}`) : undefined;
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
      this.forward(ws, pod.status.podIP, port),
    );
  }

  private forward(ws: WebSocket, host: string, port: number): void {
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

  private status(
    res: http.ServerResponse,
    code: number,
    reason: string,
    message: string,
  ) {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message,
        reason,
        code,
      }),
    );
  }
}

function parsePath(
  pathname: string,
): { resource: Resource; namespace: string | null; name?: string } | null {
  const m =
    /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(pods)(?:\/([^/]+))?$/.exec(
      pathname,
    ) ??
    /^\/apis\/apps\/v1(?:\/namespaces\/([^/]+))?\/(statefulsets)(?:\/([^/]+))?$/.exec(
      pathname,
    );
  if (!m) return null;
  return { namespace: m[1] ?? null, resource: m[2] as Resource, name: m[3] };
}

/** Equality-based selectors, as kube-apiserver reads them. */
export function parseSelector(
  raw: string,
): (labels: Record<string, string>) => boolean {
  const terms = raw
    .split(',')
    .map(t => t.trim())
    .filter(Boolean)
    .map(term => {
      let m = /^([^!=]+)!=(.*)$/.exec(term);
      if (m) return (l: Record<string, string>) => l[m![1]] !== m![2];
      m = /^([^!=]+)==?(.*)$/.exec(term);
      if (m) return (l: Record<string, string>) => l[m![1]] === m![2];
      if (term.startsWith('!'))
        return (l: Record<string, string>) => !(term.slice(1) in l);
      return (l: Record<string, string>) => term in l;
    });
  return labels => terms.every(t => t(labels));
}
