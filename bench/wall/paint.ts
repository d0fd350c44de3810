// When every tile paints the guest's screen, read from the canvases' own
// pixels in the page (not a state flag). The watcher is an init script, so a
// full page load is timed from the navigation's start (performance.now() is
// 0 there); a click or a mount is timed from the moment the page itself acts.
import type { BrowserContext, Page } from 'playwright-core';

/** Which canvases a wall has: ours (the Loco tab) or the peer's iframes of vnc_lite.html. */
export type WallKind = 'ours' | 'peer';

/** Milliseconds from the start to each tile's first painted frame; null: never, within the bound. */
export type PaintTimes = (number | null)[];

const BOUND_MS = 60_000;

/**
 * Installs `window.__wallPaint(t0)` in every top-level page of the context,
 * and starts it at once on a full load of `autoStartPath` (the Loco tab or
 * the peer's wall page), leaving its answer in `window.__wallPaintLoad`.
 */
export async function installPaintWatch(
  context: BrowserContext,
  count: number,
): Promise<void> {
  await context.addInitScript(
    ([n, bound]) => {
      if (window.top !== window) return;
      const canvasOf = (i: number): HTMLCanvasElement | null => {
        const ours = document.querySelector(
          `[data-testid="loco-screen-${i}"] canvas`,
        );
        if (ours) return ours as HTMLCanvasElement;
        const frame = document.querySelector(
          `iframe[data-tile="${i}"]`,
        ) as HTMLIFrameElement | null;
        return (frame?.contentDocument?.querySelector('#screen canvas') ??
          null) as HTMLCanvasElement | null;
      };
      // The guest's screen, not a blank or boot canvas: black plus grey
      // text is two colours, the demo guest's banner adds a third.
      const painted = (canvas: HTMLCanvasElement | null) => {
        if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
        const ctx = canvas.getContext('2d');
        if (!ctx) return false;
        const { data, width } = ctx.getImageData(
          0,
          0,
          canvas.width,
          canvas.height,
        );
        // Every 3rd pixel of every 3rd row: the banner's colours fill whole
        // rows, and scanning every pixel of nine black canvases each frame
        // took the page's main thread from the sessions being timed.
        const colours = new Set<number>();
        for (let y = 0; y < canvas.height && colours.size < 3; y += 3)
          for (let x = 0; x < width; x += 3) {
            const p = (y * width + x) * 4;
            colours.add((data[p] << 16) | (data[p + 1] << 8) | data[p + 2]);
          }
        return colours.size >= 3;
      };
      const watch = (t0: number) =>
        new Promise<(number | null)[]>(resolve => {
          const times: (number | null)[] = new Array(n).fill(null);
          const step = () => {
            const now = performance.now();
            for (let i = 0; i < n; i++)
              if (times[i] === null && painted(canvasOf(i)))
                times[i] = now - t0;
            if (times.every(t => t !== null) || now - t0 > bound)
              resolve(times);
            else requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        });
      const w = window as unknown as Record<string, unknown>;
      w.__wallPaint = watch;
      if (
        /\/loco$/.test(location.pathname) ||
        (/\/novnc-peer\/wall\.html$/.test(location.pathname) &&
          !location.search.includes('mount=later'))
      )
        w.__wallPaintLoad = watch(0);
    },
    [count, BOUND_MS] as const,
  );
}

/** Paint times and their start (the page's performance.now() then). */
export interface Painted {
  times: PaintTimes;
  t0: number;
}

/** A full load of `url`: times from the navigation's start. */
export async function paintOnLoad(page: Page, url: string): Promise<Painted> {
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => '__wallPaintLoad' in window);
  const times = await page.evaluate(
    () =>
      (window as unknown as { __wallPaintLoad: Promise<PaintTimes> })
        .__wallPaintLoad,
  );
  return { times, t0: 0 };
}

/**
 * On a loaded page, the page itself acts — clicks the element `click`
 * selects (the Loco tab), or calls the peer wall's `__mountWall()` — and
 * the times are from that moment.
 */
export async function paintAfter(
  page: Page,
  act: { click: string } | { mount: true },
): Promise<Painted> {
  return page.evaluate(async action => {
    const w = window as unknown as {
      __wallPaint(t0: number): Promise<PaintTimes>;
      __mountWall(): void;
    };
    const target =
      'click' in action
        ? (document.querySelector(action.click) as HTMLElement | null)
        : null;
    if ('click' in action && !target) throw new Error(`no ${action.click}`);
    const t0 = performance.now();
    if (target) target.click();
    else w.__mountWall();
    return { times: await w.__wallPaint(t0), t0 };
  }, act);
}

/** The n-th smallest time (1-based) in a round, null when any tile did not paint. */
export const nthPainted = (times: PaintTimes, n: number) =>
  times.some(t => t === null)
    ? null
    : [...(times as number[])].sort((a, b) => a - b)[n - 1];

export const median = (values: (number | null)[]): number | null => {
  if (values.length === 0 || values.some(v => v === null)) return null;
  const sorted = [...(values as number[])].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
