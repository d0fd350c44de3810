import { KubeConfig, Watch } from '@kubernetes/client-node';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Exponential backoff with jitter (50–100 % of the step), capped. */
export function backoffDelay(backoff: Backoff, failures: number): number {
  const step = Math.min(
    backoff.maxMs,
    backoff.initialMs * 2 ** Math.max(0, failures - 1),
  );
  return Math.round(step * (0.5 + Math.random() * 0.5));
}

/**
 * client-node's Watch, plus: asks for BOOKMARK events (cheap proof that the
 * stream is alive and our resourceVersion current), reports connects and
 * events, and backs off when watches keep ending right after they start (a
 * proxy or API server dropping them) instead of reconnecting in a hot loop.
 */
export class ReportingWatch extends Watch {
  private quickDrops = 0;

  constructor(
    config: KubeConfig,
    private readonly backoff: Backoff,
    private readonly hooks: { connected: () => void; event: () => void },
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    if (this.quickDrops > 0) {
      await new Promise(r =>
        setTimeout(r, backoffDelay(this.backoff, this.quickDrops)),
      );
    }
    const openedAt = Date.now();
    let events = 0;
    let failed = false;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, obj, raw) => {
        events += 1;
        if (phase !== 'ERROR') this.hooks.event();
        callback(phase, obj, raw);
      },
      err => {
        if (err) failed = true;
        const quick = !err && events === 0 && Date.now() - openedAt < 1000;
        this.quickDrops = quick ? this.quickDrops + 1 : 0;
        done(err);
      },
    );
    if (!failed) this.hooks.connected();
    return controller;
  }
}
