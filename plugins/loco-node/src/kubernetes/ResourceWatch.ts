import {
  ADD,
  DELETE,
  ERROR,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ListWatch,
  UPDATE,
} from '@kubernetes/client-node';
import { STATUS_CODES } from 'node:http';
import { Backoff, backoffDelay, ReportingWatch } from './ReportingWatch';

export type { Backoff } from './ReportingWatch';

export interface ResourceWatchOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** API path of the collection, e.g. `/api/v1/namespaces/loco/pods`. */
  path: string;
  labelSelector: string;
  /** Lists the collection; `signal` aborts the request (after listTimeoutMs). */
  list: (signal: AbortSignal) => Promise<KubernetesListObject<T>>;
  backoff: Backoff;
  /** A list may hang on a half-dead API server; give up after this long. */
  listTimeoutMs: number;
  onChange: () => void;
  onStatus: () => void;
  onListed: (seconds: number) => void;
  onError: (error: unknown) => void;
}

/**
 * One list+watch of one collection, kept alive. `ListWatch` of client-node does
 * the informer work (cache, relist after `410 Gone`, resume from the last
 * resourceVersion when a watch ends cleanly) but stops for good on any other
 * error; this class restarts it with exponential backoff and keeps the last
 * known objects meanwhile, so an outage serves stale data instead of none.
 */
export class ResourceWatch<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private stopped = true;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private listAbort: AbortController | undefined;
  /** What the informer is doing, for error messages. */
  private operation = '';
  /** Whether the collection has been listed at least once. */
  listed = false;
  /** True while the watch is broken and we wait to retry. */
  failing = false;
  lastError: string | null = null;
  /** The last moment the API server confirmed our copy (list, watch start, event, bookmark). */
  lastSyncAt: Date | null = null;

  constructor(private readonly options: ResourceWatchOptions<T>) {
    const watch = new ReportingWatch(options.kubeConfig, options.backoff, {
      connected: () => this.confirmed(),
      event: () => this.confirmed(),
    });
    this.informer = new ListWatch<T>(
      options.path,
      watch,
      () => this.timedList(),
      false,
      options.labelSelector,
    );
    for (const verb of [ADD, UPDATE, DELETE]) {
      this.informer.on(verb as typeof ADD, () => options.onChange());
    }
    this.informer.on(ERROR, error => this.failed(error));
  }

  start(): void {
    this.stopped = false;
    this.informer.start().catch(error => this.failed(error));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.listAbort?.abort(); // a list in flight would keep its connection
    await this.informer.stop();
  }

  objects(): readonly T[] {
    return this.informer.list();
  }

  private async timedList(): Promise<KubernetesListObject<T>> {
    this.operation = `list ${this.options.path}`;
    const started = process.hrtime.bigint();
    // A half-dead API server may never answer: give up, and abort the request
    // so retries do not pile up hung connections.
    const abort = new AbortController();
    this.listAbort = abort;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`timed out after ${this.options.listTimeoutMs} ms`));
        abort.abort();
      }, this.options.listTimeoutMs);
    });
    try {
      const result = await Promise.race([
        this.options.list(abort.signal),
        timeout,
      ]);
      // ListWatch goes on to open a watch after the list; not once stopped.
      if (this.stopped) throw new Error('stopped');
      this.options.onListed(Number(process.hrtime.bigint() - started) / 1e9);
      const first = !this.listed;
      this.listed = true;
      this.confirmed();
      // Synced is news even when the list is empty (no ADD events follow).
      if (first) this.options.onStatus();
      this.operation = `watch ${this.options.path}`;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  private confirmed(): void {
    this.lastSyncAt = new Date();
    const changed = this.failing || this.failures > 0;
    this.failures = 0;
    this.failing = false;
    this.lastError = null;
    if (changed) this.options.onStatus();
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    this.failures += 1;
    this.failing = true;
    this.lastError = describeError(error, this.operation);
    this.options.onError(error);
    this.options.onStatus();
    clearTimeout(this.retryTimer);
    // Throttled (429 + Retry-After): not sooner than the API server asked.
    const delay = Math.max(
      backoffDelay(this.options.backoff, this.failures),
      retryAfterMs(error),
    );
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.informer.start().catch(e => this.failed(e));
    }, delay);
    this.retryTimer.unref?.();
  }
}

interface HttpFailure {
  statusCode?: number;
  code?: string | number;
  message?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const httpStatus = (e: HttpFailure) =>
  e?.statusCode ?? (typeof e?.code === 'number' ? e.code : undefined);

/** The `message` of a kube-apiserver `Status` body, when the error carries one. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const status = parsed as { kind?: string; message?: unknown } | undefined;
  return status?.kind === 'Status' && typeof status.message === 'string'
    ? status.message
    : undefined;
}

/**
 * What went wrong, for users: the operation, the HTTP status and the API
 * server's own message (e.g. RBAC's `pods is forbidden: User ... cannot list
 * ...`), not client-node's dump of body and headers.
 */
export function describeError(error: unknown, operation: string): string {
  const e = error as HttpFailure;
  const status = httpStatus(e);
  if (!status) return `${operation}: ${e?.message ?? String(error)}`;
  // client-node's ApiException message is a dump ("HTTP-Code: ...\nBody: ...").
  const fallback = e.message?.startsWith('HTTP-Code:')
    ? STATUS_CODES[status]
    : e.message;
  const message = statusMessage(e.body) ?? fallback ?? STATUS_CODES[status];
  return `${operation}: HTTP ${status}: ${message}`;
}

/**
 * How long the API server asked us to wait (`Retry-After` of a 429 or 503), in
 * ms, when the error carries it; client-go honours it the same way
 * (k8s.io/client-go/rest/request.go `checkWait`).
 */
export function retryAfterMs(error: unknown): number {
  const e = error as HttpFailure;
  const header = e?.headers?.['retry-after'];
  const seconds = Number(header);
  return header !== undefined && Number.isFinite(seconds) && seconds > 0
    ? seconds * 1000
    : 0;
}
