// Where the time to paint goes: every screen WebSocket the top-level page
// opens (created, open, first bytes, first framebuffer data) and the scripts
// it fetched after the start, read in the page. Times are from the same
// start as bench/wall/paint.ts's (the click, or the navigation's start).
import type { BrowserContext, Page } from 'playwright-core';

/** Milliseconds from the start; null: did not happen. */
export interface Phases {
  /** The last script (chunk) fetched after the start finished loading. */
  scriptsLoaded: number | null;
  scripts: number;
  /**
   * The environment's API calls (its instances: the tiles to show) answered,
   * in order: the entity page's health card may ask before the tab does.
   */
  environmentAnswered: number[];
  /** The last API call (the environment, permissions, seats...) made after the start answered. */
  apiAnswered: number | null;
  /** Per screen socket, in creation order. */
  sockets: {
    created: number;
    open: number | null;
    firstBytes: number | null;
    /** First message of 1 KiB or more: the handshake's messages are all far smaller. */
    firstFrame: number | null;
  }[];
}

/** Wraps the top-level page's WebSocket so every socket's milestones are kept. */
export async function installPhaseWatch(context: BrowserContext) {
  await context.addInitScript(() => {
    if (window.top !== window) return;
    const sockets: Record<string, number | null | string>[] = [];
    // A Proxy, not a subclass: noVNC checks a socket's methods on its own
    // prototype only, and a subclass's prototype has none of them.
    window.WebSocket = new Proxy(window.WebSocket, {
      construct(Native, args) {
        const socket = Reflect.construct(Native, args) as WebSocket;
        const s: Record<string, number | null | string> = {
          url: String(args[0]),
          created: performance.now(),
          open: null,
          firstBytes: null,
          firstFrame: null,
        };
        sockets.push(s);
        socket.addEventListener('open', () => {
          s.open = performance.now();
        });
        socket.addEventListener('message', e => {
          const now = performance.now();
          if (s.firstBytes === null) s.firstBytes = now;
          let size = 0;
          if (e.data instanceof ArrayBuffer) size = e.data.byteLength;
          else if (e.data instanceof Blob) size = e.data.size;
          else size = String(e.data).length;
          if (s.firstFrame === null && size >= 1024) s.firstFrame = now;
        });
        return socket;
      },
    });
    (window as unknown as { __wallSockets: unknown }).__wallSockets = sockets;
  });
}

/** The milestones since `t0` (the page's performance.now() at the start). */
export function readPhases(page: Page, t0: number): Promise<Phases> {
  return page.evaluate(start => {
    const rel = (t: unknown) => (typeof t === 'number' ? t - start : null);
    const all = ((window as unknown as { __wallSockets?: [] }).__wallSockets ??
      []) as Record<string, number | null | string>[];
    const sockets = all
      .filter(
        s =>
          (s.created as number) >= start &&
          /\/instances\/\d+\/vnc(\?|$)/.test(s.url as string),
      )
      .map(s => ({
        created: rel(s.created)!,
        open: rel(s.open),
        firstBytes: rel(s.firstBytes),
        firstFrame: rel(s.firstFrame),
      }));
    const scripts = (
      performance.getEntriesByType('resource') as PerformanceResourceTiming[]
    ).filter(e => e.startTime >= start && /\.js(\?|$)/.test(e.name));
    const api = (
      performance.getEntriesByType('resource') as PerformanceResourceTiming[]
    ).filter(e => e.startTime >= start && /\/api\//.test(e.name));
    const environment = api.filter(e =>
      /\/api\/loco\/environments\/[^/?]+(\?|$)/.test(e.name),
    );
    return {
      environmentAnswered: environment
        .map(e => e.responseEnd - start)
        .sort((a, b) => a - b),
      apiAnswered: api.length
        ? Math.max(...api.map(e => e.responseEnd)) - start
        : null,
      scriptsLoaded: scripts.length
        ? Math.max(...scripts.map(e => e.responseEnd)) - start
        : null,
      scripts: scripts.length,
      sockets,
    };
  }, t0);
}

type Num = number | null;
const medianOf = (values: Num[]): Num => {
  if (values.length === 0 || values.some(v => v === null)) return null;
  const sorted = [...(values as number[])].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
/** First and last socket to reach a milestone; the last is null when one never did. */
const span = (values: Num[]): [Num, Num] => {
  const seen = values.filter((v): v is number => v !== null);
  if (seen.length === 0) return [null, null];
  return [
    Math.min(...seen),
    seen.length === values.length ? Math.max(...seen) : null,
  ];
};

/**
 * The breakdown as report lines: per milestone, the median over the rounds
 * of the first and of the last screen to reach it, and how many sockets a
 * round opened (more than the tiles: a session was opened again).
 */
export function phaseLines(
  label: string,
  rounds: Phases[],
  painted: (number | null)[][],
): string[] {
  const fmt = (v: Num) => (v === null ? 'unknown' : `${v.toFixed(0)} ms`);
  const row = (name: string, pick: (p: Phases, i: number) => [Num, Num]) => {
    const pairs = rounds.map(pick);
    return `    ${name.padEnd(40)} ${fmt(
      medianOf(pairs.map(p => p[0])),
    ).padStart(10)} ${fmt(medianOf(pairs.map(p => p[1]))).padStart(10)}`;
  };
  const of =
    (key: 'created' | 'open' | 'firstBytes' | 'firstFrame') => (p: Phases) =>
      p.sockets.length
        ? span(p.sockets.map(s => s[key]))
        : ([null, null] as [Num, Num]);
  return [
    `  ${label}: median over ${rounds.length} rounds; sockets per round ${rounds
      .map(p => p.sockets.length)
      .join(', ')}; scripts fetched ${rounds.map(p => p.scripts).join(', ')}`,
    `    ${''.padEnd(40)} ${'first'.padStart(10)} ${'last'.padStart(10)}`,
    row('scripts fetched after the start loaded', p => [null, p.scriptsLoaded]),
    row('the environment (its instances) answered', p =>
      p.environmentAnswered.length ? span(p.environmentAnswered) : [null, null],
    ),
    row('API calls made after the start answered', p => [null, p.apiAnswered]),
    row('screen socket created', of('created')),
    row('socket open (upgrade accepted)', of('open')),
    row('first bytes from the gateway', of('firstBytes')),
    row('first framebuffer data (a message >= 1 KiB)', of('firstFrame')),
    row('tile painted (pixels)', (_, i) => span(painted[i] ?? [])),
  ];
}
