import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import {
  failureStatus,
  KIND,
  parsePath,
  parseSelector,
  type FailureStatus,
  type Resource,
} from './fakeApiProtocol';
import { FakeFaults, type Verb } from './fakeFaults';
import { FakeObjectStore } from './FakeObjectStore';
import { FakePodLifecycle, type PodLifecycleOptions } from './fakePodLifecycle';
import {
  sendStatus,
  serveDelete,
  serveGet,
  serveList,
} from './fakeObjectRoutes';
import { forwardPort, refuseUpgrade } from './fakePortForward';
import { FakeWatch, startWatch } from './fakeWatch';
import { SelectorError } from './labelSelector';

/**
 * TEST DOUBLE of a Kubernetes API server, for pods, StatefulSets and Secrets,
 * as strict as kube-apiserver where our code depends on it (each behaviour
 * cites its source where it is implemented, and has a test in
 * FakeKubernetesApiServer.*.test.ts):
 * - list/watch: lists carry `metadata.resourceVersion`; `?watch=true|1`
 *   streams newline-delimited JSON events (fakeWatch.ts: synthetic ADDED
 *   without resourceVersion or with "0", `410 Gone` from a compacted one,
 *   selector transitions as ADDED/DELETED); BOOKMARKs when asked for.
 * - label selectors parsed as labels.Parse does; malformed ones get 400.
 * - bearer tokens (401), RBAC denials (403), throttling (429 + Retry-After)
 *   and 5xx, all with `Status` bodies (fakeFaults.ts).
 * - graceful pod deletion, the kubelet's part of it and optionally the
 *   StatefulSet controller's re-creation (fakePodLifecycle.ts).
 * - `pods/portforward` over WebSocket (`v4.channel.k8s.io`), refused for pods
 *   that are not scheduled and running; it dials the pod IP, as the kubelet.
 * - TLS with a caller's certificate (testCertificates.ts makes a test CA).
 * Controls let a test drop watches, go down (connection refused) and come
 * back on the same port, and count requests.
 */
export interface RequestLog {
  method: string;
  path: string;
  watch: boolean;
  /** When it arrived (Date.now()), for lower bounds on retry spacing. */
  at: number;
}

export interface FakeKubernetesApiServerOptions extends PodLifecycleOptions {
  token?: string;
  /** The identity RBAC messages name. */
  user?: string;
  bookmarkIntervalMs?: number;
  port?: number;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

/** The authorizer's verb of a request (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go). */
function verbOf(
  method: string | undefined,
  named: boolean,
  watch: boolean,
): Verb | null {
  if (method === 'DELETE') return named ? 'delete' : null;
  if (method !== 'GET') return null;
  if (named) return 'get';
  return watch ? 'watch' : 'list';
}

export class FakeKubernetesApiServer {
  readonly requests: RequestLog[] = [];
  /** One promise per request left hanging (fault `hang`), resolved when its client closes it. */
  readonly hung: Promise<unknown>[] = [];
  /** RBAC denials and injected failures: `forbid(...)`, `fail(...)`. */
  readonly faults = new FakeFaults();
  private readonly store = new FakeObjectStore();
  private readonly pods: FakePodLifecycle;
  private readonly watches = new Set<FakeWatch>();
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

  constructor(private readonly options: FakeKubernetesApiServerOptions = {}) {
    this.store.subscribe(event => {
      for (const w of this.watches) w.deliver(event);
    });
    this.pods = new FakePodLifecycle(this.store, options);
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) =>
      this.handle(req, res);
    const server = this.options.tls
      ? https.createServer(this.options.tls, handler)
      : http.createServer(handler);
    server.on('upgrade', (req, socket, head) =>
      this.upgrade(req, socket as Socket, head),
    );
    server.on(this.options.tls ? 'secureConnection' : 'connection', socket => {
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

  /** Stops the simulated kubelet and controllers for good (end of a test). */
  async close(): Promise<void> {
    this.pods.stop();
    await this.stop();
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

  /** Resolves when a request that satisfies `predicate` has arrived. */
  async waitForRequest(predicate: (r: RequestLog) => boolean): Promise<void> {
    while (!this.requests.some(predicate)) {
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

  /** Removes an object at once (a forced deletion: `--grace-period=0 --force`). */
  remove(resource: Resource, namespace: string, name: string): void {
    this.store.remove(resource, namespace, name);
  }

  /** The kubelet finishes stopping a terminating pod (with `terminationMs: Infinity`). */
  finishTermination(namespace: string, name: string): void {
    this.pods.finishTermination(namespace, name);
  }

  get(resource: Resource, namespace: string, name: string): any {
    return this.store.get(resource, namespace, name);
  }

  list(resource: Resource): any[] {
    return this.store.list(resource);
  }

  /** Calls `listener` with each change as stored (every event any watch could see). */
  onChange(listener: (type: string, resource: Resource, object: any) => void) {
    this.store.subscribe(e => listener(e.type, e.resource, e.object));
  }

  private sendBookmarks(): void {
    for (const w of this.watches) {
      if (!w.bookmarks) continue;
      w.send({
        type: 'BOOKMARK',
        object: {
          ...KIND[w.resource],
          metadata: { resourceVersion: String(this.store.resourceVersion) },
        },
      });
    }
  }

  private authorized(req: http.IncomingMessage): boolean {
    return (
      !this.options.token ||
      req.headers.authorization === `Bearer ${this.options.token}`
    );
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      watch,
      at: Date.now(),
    });
    this.notify();
    if (!this.authorized(req)) {
      sendStatus(res, failureStatus(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const route = parsePath(url.pathname);
    if (!route) {
      sendStatus(
        res,
        failureStatus(
          404,
          'NotFound',
          `the server could not find the requested resource ${url.pathname}`,
        ),
      );
      return;
    }
    const verb = verbOf(req.method, Boolean(route.name), watch);
    if (!verb) {
      sendStatus(
        res,
        failureStatus(405, 'MethodNotAllowed', 'not supported by the fake'),
      );
      return;
    }
    const refusal = this.faults.answer(
      { verb, ...route },
      this.options.user ?? 'system:serviceaccount:loco:loco-portal',
    );
    if (refusal && 'status' in refusal) {
      sendStatus(res, refusal.status, refusal.headers);
      return;
    }
    if (refusal?.behaviour === 'hang') {
      // Never answered; the socket goes with stop(), or when the client gives up.
      this.hung.push(new Promise(resolve => req.socket.once('close', resolve)));
      return;
    }
    if (refusal?.behaviour === 'close') {
      res.writeHead(200, { 'content-type': 'application/json' }).end();
      return;
    }
    const target = { ...route, namespace: route.namespace!, name: route.name! };
    if (verb === 'delete') {
      serveDelete(res, this.store, this.pods, target, url.searchParams);
    } else if (verb === 'get') {
      serveGet(res, this.store, target);
    } else {
      let selector;
      try {
        selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
      } catch (error) {
        if (!(error instanceof SelectorError)) throw error;
        sendStatus(res, failureStatus(400, 'BadRequest', error.message));
        return;
      }
      if (verb === 'watch')
        this.serveWatch(res, route, url.searchParams, selector);
      else serveList(res, this.store, route, selector);
    }
  }

  private serveWatch(
    res: http.ServerResponse,
    route: NonNullable<ReturnType<typeof parsePath>>,
    params: URLSearchParams,
    selector: (labels: Record<string, string>) => boolean,
  ): void {
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    });
    res.flushHeaders();
    const w = new FakeWatch(
      route.resource,
      route.namespace,
      selector,
      params.get('allowWatchBookmarks') === 'true',
      res,
    );
    if (!startWatch(w, this.store, params.get('resourceVersion'))) return;
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
    const timeout = Number(params.get('timeoutSeconds') || 0);
    if (timeout > 0) setTimeout(() => res.end(), timeout * 1000).unref();
    this.notify();
  }

  /** Wakes waitForWatches and waitForRequest (a watch opened or a request came). */
  private notify(): void {
    for (const listener of [...this.watchListeners]) listener();
  }

  private upgrade(
    req: http.IncomingMessage,
    socket: Socket,
    head: Buffer,
  ): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({
      method: 'GET',
      path: url.pathname,
      watch: false,
      at: Date.now(),
    });
    this.notify();
    const m =
      /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(
        url.pathname,
      );
    const pod = m ? this.store.get('pods', m[1], m[2]) : undefined;
    const port = Number(url.searchParams.get('ports'));
    const refuse = (status: number, body: FailureStatus | string) =>
      refuseUpgrade(socket, status, body);
    if (!this.authorized(req)) {
      refuse(401, failureStatus(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (!pod || !port) {
      refuse(404, failureStatus(404, 'NotFound', `pods "${m?.[2]}" not found`));
      return;
    }
    const refusal = this.pods.portForwardRefusal(pod);
    if (refusal) {
      refuse(refusal.status, refusal.body);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, ws =>
      forwardPort(ws, pod.status.podIP, port),
    );
  }
}
