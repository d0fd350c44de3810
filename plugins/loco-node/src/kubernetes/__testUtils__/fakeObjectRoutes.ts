import type http from 'node:http';
import {
  failureStatus,
  KIND,
  type FailureStatus,
  type Resource,
} from './fakeApiProtocol';
import type { FakeObjectStore } from './FakeObjectStore';
import type { FakePodLifecycle } from './fakePodLifecycle';
import type { LabelMatcher } from './labelSelector';

// The fake API server's answers to get, delete and list of one resource.

export function sendStatus(
  res: http.ServerResponse,
  status: FailureStatus,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status.code, {
    'content-type': 'application/json',
    ...headers,
  });
  res.end(JSON.stringify(status));
}

function sendObject(res: http.ServerResponse, object: unknown): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(object));
}

function notFound(res: http.ServerResponse, resource: Resource, name: string) {
  sendStatus(
    res,
    failureStatus(404, 'NotFound', `${resource} "${name}" not found`, {
      name,
      kind: resource,
    }),
  );
}

export function serveGet(
  res: http.ServerResponse,
  store: FakeObjectStore,
  target: { resource: Resource; namespace: string; name: string },
): void {
  const existing = store.get(target.resource, target.namespace, target.name);
  if (existing) sendObject(res, existing);
  else notFound(res, target.resource, target.name);
}

/** Pods are deleted gracefully (fakePodLifecycle.ts); other objects at once. */
export function serveDelete(
  res: http.ServerResponse,
  store: FakeObjectStore,
  pods: FakePodLifecycle,
  target: { resource: Resource; namespace: string; name: string },
  params: URLSearchParams,
): void {
  const { resource, namespace, name } = target;
  const grace = params.get('gracePeriodSeconds');
  const existing =
    resource === 'pods'
      ? pods.delete(namespace, name, grace === null ? undefined : Number(grace))
      : store.remove(resource, namespace, name);
  if (existing) sendObject(res, existing);
  else notFound(res, resource, name);
}

export function serveList(
  res: http.ServerResponse,
  store: FakeObjectStore,
  route: { resource: Resource; namespace: string | null },
  selector: LabelMatcher,
): void {
  const items = store
    .list(route.resource)
    .filter(
      o =>
        (!route.namespace || o.metadata.namespace === route.namespace) &&
        selector(o.metadata.labels ?? {}),
    );
  sendObject(res, {
    kind: `${KIND[route.resource].kind}List`,
    apiVersion: KIND[route.resource].apiVersion,
    metadata: { resourceVersion: String(store.resourceVersion) },
    items,
  });
}
