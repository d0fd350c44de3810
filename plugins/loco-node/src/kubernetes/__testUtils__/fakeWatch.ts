import type http from 'node:http';
import { failureStatus, type Resource } from './fakeApiProtocol';
import type { FakeObjectStore, StoreEvent } from './FakeObjectStore';
import type { LabelMatcher } from './labelSelector';

/** One open watch stream of the fake API server. */
export class FakeWatch {
  constructor(
    readonly resource: Resource,
    readonly namespace: string | null,
    private readonly selector: LabelMatcher,
    readonly bookmarks: boolean,
    readonly res: http.ServerResponse,
  ) {}

  private passes(object: any): boolean {
    const meta = object?.metadata;
    if (!meta) return false;
    if (this.namespace && meta.namespace !== this.namespace) return false;
    return this.selector(meta.labels ?? {});
  }

  /**
   * A change as this watcher sees it, after its filters, as the watch cache
   * does (staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go
   * `convertToWatchEvent`): an object that starts to match arrives as ADDED,
   * one that stops matching as DELETED (its previous content with the new
   * resourceVersion), and neither-before-nor-after is not sent.
   */
  deliver(event: StoreEvent): void {
    if (event.resource !== this.resource) return;
    const now = event.type !== 'DELETED' && this.passes(event.object);
    const before =
      event.type === 'DELETED'
        ? this.passes(event.object)
        : Boolean(event.previous) && this.passes(event.previous);
    let type: StoreEvent['type'];
    let object = event.object;
    if (now && !before) type = 'ADDED';
    else if (now && before) type = 'MODIFIED';
    else if (!now && before) {
      type = 'DELETED';
      if (event.type !== 'DELETED') {
        object = structuredClone(event.previous);
        object.metadata.resourceVersion = String(event.rv);
      }
    } else return;
    this.send({ type, object });
  }

  send(event: { type: string; object: unknown }): void {
    this.res.write(`${JSON.stringify(event)}\n`);
  }
}

/**
 * Where a new watch starts, per the watch semantics of
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-watch:
 * no resourceVersion ("Get State and Start at Most Recent") and "0" ("Start
 * at Any") begin with synthetic ADDED events for every matching object, and
 * "0" is served from the cache, so it is never too old; any other value
 * resumes exactly after it, or gets `410 Gone` ("too old resource version",
 * staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache.go
 * `getAllEventsSinceLocked`, sent as an ERROR event on a 200 stream) once
 * history before it is compacted.
 */
export function startWatch(
  w: FakeWatch,
  store: FakeObjectStore,
  resourceVersion: string | null,
): boolean {
  if (!resourceVersion || resourceVersion === '0') {
    for (const object of store.list(w.resource)) {
      w.deliver({
        rv: store.resourceVersion,
        type: 'ADDED',
        resource: w.resource,
        object,
      });
    }
    return true;
  }
  const from = Number(resourceVersion);
  if (from < store.compactedBelow) {
    const message = `too old resource version: ${from} (${store.compactedBelow})`;
    w.res.end(
      `${JSON.stringify({
        type: 'ERROR',
        object: failureStatus(410, 'Expired', message),
      })}\n`,
    );
    return false;
  }
  for (const event of store.since(from)) w.deliver(event);
  return true;
}
