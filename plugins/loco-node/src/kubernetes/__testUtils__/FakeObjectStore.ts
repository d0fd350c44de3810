import type { Resource } from './fakeApiProtocol';

/** One change, as a watch delivers it. */
export interface StoreEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: any;
  /** The object before a MODIFIED (watches need it to see selector transitions). */
  previous?: any;
}

/**
 * TEST DOUBLE of the API server's storage (etcd as kube-apiserver uses it):
 * objects by namespace/name, one resourceVersion counter for everything, the
 * history of changes that watches resume from, and compaction, after which
 * older resourceVersions cannot be resumed.
 */
export class FakeObjectStore {
  private readonly objects = {
    pods: new Map<string, any>(),
    statefulsets: new Map<string, any>(),
    secrets: new Map<string, any>(),
  };
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private rv = 100;
  /** Watches from a resourceVersion below this get `410 Gone`. */
  compactedBelow = 0;

  get resourceVersion(): number {
    return this.rv;
  }

  /** Creates or replaces an object; returns it as stored. */
  apply(resource: Resource, object: any): any {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const existing = this.objects[resource].get(key);
    const stored = structuredClone(object);
    // A re-created object gets a new uid, as in Kubernetes.
    stored.metadata.uid =
      existing?.metadata.uid ?? `uid-${resource}-${key}-${this.rv + 1}`;
    stored.metadata.creationTimestamp =
      existing?.metadata.creationTimestamp ?? new Date().toISOString();
    stored.metadata.resourceVersion = String(++this.rv);
    this.objects[resource].set(key, stored);
    this.record(existing ? 'MODIFIED' : 'ADDED', resource, stored, existing);
    return stored;
  }

  /** Deletes an object; returns it as it was, or undefined when there was none. */
  remove(resource: Resource, namespace: string, name: string): any {
    const key = `${namespace}/${name}`;
    const existing = this.objects[resource].get(key);
    if (!existing) return undefined;
    this.objects[resource].delete(key);
    const gone = structuredClone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record('DELETED', resource, gone);
    return existing;
  }

  get(resource: Resource, namespace: string, name: string): any {
    return this.objects[resource].get(`${namespace}/${name}`);
  }

  list(resource: Resource): any[] {
    return [...this.objects[resource].values()];
  }

  /** Changes after resourceVersion `rv`, oldest first. */
  since(rv: number): StoreEvent[] {
    return this.history.filter(event => event.rv > rv);
  }

  /** Like etcd compaction: a new revision, and nothing older can be resumed. */
  compact(): void {
    this.compactedBelow = ++this.rv;
  }

  /** Calls `listener` with every change from now on. */
  subscribe(listener: (event: StoreEvent) => void): void {
    this.listeners.add(listener);
  }

  private record(
    type: StoreEvent['type'],
    resource: Resource,
    object: any,
    previous?: any,
  ) {
    const event = { rv: this.rv, type, resource, object, previous };
    this.history.push(event);
    for (const listener of this.listeners) listener(event);
  }
}
