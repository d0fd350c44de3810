import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake API server saw. */
export interface ClaimsApiCall {
  method: string;
  namespace: string;
  labelSelector: string | null;
}

/**
 * TEST DOUBLE of the part of a Kubernetes API server a destroy with
 * deleteDisks uses: list and delete-collection of PersistentVolumeClaims in a
 * namespace by an equality label selector
 * (GET/DELETE /api/v1/namespaces/{ns}/persistentvolumeclaims?labelSelector=,
 * as kube-apiserver serves them: a PersistentVolumeClaimList, also as the
 * answer of a delete-collection, staging/src/k8s.io/apiserver/pkg/endpoints/
 * handlers/delete.go DeleteCollection), bearer token checked (401 Status
 * otherwise). Keeps claims in memory and records every call.
 */
export class FakeClaimsApi {
  readonly calls: ClaimsApiCall[] = [];
  /** Claims by namespace: name and labels. */
  readonly claims = new Map<
    string,
    Array<{ name: string; labels: Record<string, string> }>
  >();
  private server?: http.Server;

  constructor(private readonly token: string) {}

  addClaim(namespace: string, name: string, labels: Record<string, string>) {
    this.claims.set(namespace, [
      ...(this.claims.get(namespace) ?? []),
      { name, labels },
    ]);
  }

  claimNames(namespace: string): string[] {
    return (this.claims.get(namespace) ?? []).map(c => c.name);
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', resolve),
    );
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise(resolve =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const send = (code: number, body: object) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      send(401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const match =
      /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims$/.exec(
        url.pathname,
      );
    if (!match || !['GET', 'DELETE'].includes(req.method ?? '')) {
      send(
        404,
        status(404, 'NotFound', `the server could not find ${url.pathname}`),
      );
      return;
    }
    const namespace = match[1];
    const labelSelector = url.searchParams.get('labelSelector');
    this.calls.push({ method: req.method!, namespace, labelSelector });
    const wanted = Object.fromEntries(
      (labelSelector ?? '')
        .split(',')
        .filter(Boolean)
        .map(term => term.split('=') as [string, string]),
    );
    const all = this.claims.get(namespace) ?? [];
    const selected = all.filter(c =>
      Object.entries(wanted).every(([k, v]) => c.labels[k] === v),
    );
    if (req.method === 'DELETE') {
      this.claims.set(
        namespace,
        all.filter(c => !selected.includes(c)),
      );
    }
    send(200, {
      kind: 'PersistentVolumeClaimList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '1' },
      items: selected.map(c => ({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: c.name, namespace, labels: c.labels },
        spec: { accessModes: ['ReadWriteOnce'] },
      })),
    });
  }
}

function status(code: number, reason: string, message: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}
