import { RefObject, useCallback, useLayoutEffect, useState } from 'react';

/** The guest's screen (720×400 text mode): width per pixel of height. */
export const SCREEN_ASPECT = 720 / 400;
export const GAP_PX = 16;
/** Below this a tile's header cannot show its number and buttons. */
export const MIN_TILE_PX = 220;
/** Left below the wall, so its last row does not touch the window's edge. */
const BOTTOM_MARGIN_PX = 16;
/**
 * A tile's chrome with its header on one line (number, name, buttons) and
 * its two caption lines, as Backstage's theme draws them.
 */
export const ONE_LINE_CHROME_PX = 86;

export interface WallLayout {
  columns: number;
  tileWidth: number;
  /**
   * Whether tile headers wrap their buttons to a second line so that the
   * instance name is shown whole. Only when the wall is taller than the
   * window even with one-line headers and the smallest tiles (a wall of 32):
   * it scrolls anyway. Otherwise (a 3×3 wall at 1366×768) the extra line
   * would push the last row out of a window it fits, so a narrow name is cut
   * instead (whole in its tooltip) and the number still tells tiles apart.
   */
  wrapHeaders: boolean;
}

/**
 * About √N columns (4 → 2×2, 9 → 3×3), fewer when the page is too narrow,
 * and tiles as wide as both the width and the height allow: the whole wall
 * fits in `height` whenever tiles of at least `minTilePx` can.
 */
export function wallLayout(o: {
  count: number;
  /** Width of the wall's area. */
  width: number;
  /** Height the wall may take (the window below the tab's toolbar). */
  height: number;
  /** A tile's height that is not screen (header and caption lines). */
  chromePx: number;
  gapPx?: number;
  minTilePx?: number;
}): WallLayout {
  const gap = o.gapPx ?? GAP_PX;
  const minTile = o.minTilePx ?? MIN_TILE_PX;
  const count = Math.max(1, o.count);
  // Not laid out yet (or no layout at all, as in tests): √N equal columns.
  if (o.width <= 0)
    return {
      columns: Math.min(Math.ceil(Math.sqrt(count)), count),
      tileWidth: 0,
      wrapHeaders: false,
    };
  const fitting = Math.max(1, Math.floor((o.width + gap) / (minTile + gap)));
  const columns = Math.min(Math.ceil(Math.sqrt(count)), fitting, count);
  const rows = Math.ceil(count / columns);
  const byWidth = (o.width - (columns - 1) * gap) / columns;
  const widthFor = (chromePx: number) =>
    ((o.height - (rows - 1) * gap) / rows - chromePx) * SCREEN_ASPECT;
  const byHeight = widthFor(o.chromePx);
  return {
    columns,
    tileWidth: Math.floor(
      Math.min(byWidth, Math.max(minTile, Math.min(byWidth, byHeight))),
    ),
    wrapHeaders: widthFor(ONE_LINE_CHROME_PX) < minTile,
  };
}

/**
 * Lays the wall out for the window it is in, again on every resize. The
 * space above the grid inside `root` (the tab's toolbar) is subtracted, and
 * a tile's chrome is measured from the first tile. Once, when the wall first
 * shows, the page scrolls to the tab's toolbar if the wall would otherwise
 * reach below the window: the wall is what the tab is for.
 */
export function useWallLayout(
  root: RefObject<HTMLElement>,
  grid: RefObject<HTMLElement>,
  count: number,
): WallLayout | null {
  const [layout, setLayout] = useState<WallLayout | null>(null);
  const [scrolled, setScrolled] = useState(false);

  const measure = useCallback(() => {
    const rootEl = root.current;
    const gridEl = grid.current;
    if (!rootEl || !gridEl) return;
    const above =
      gridEl.getBoundingClientRect().top - rootEl.getBoundingClientRect().top;
    const tile = gridEl.firstElementChild as HTMLElement | null;
    const screen = tile?.querySelector<HTMLElement>(
      '[data-testid^="loco-screen-"]',
    );
    const chromePx =
      tile && screen ? tile.offsetHeight - screen.offsetHeight : 90;
    const next = wallLayout({
      count,
      width: rootEl.clientWidth,
      height: window.innerHeight - above - BOTTOM_MARGIN_PX,
      chromePx,
    });
    setLayout(current =>
      current &&
      current.columns === next.columns &&
      current.tileWidth === next.tileWidth &&
      current.wrapHeaders === next.wrapHeaders
        ? current
        : next,
    );
  }, [root, grid, count]);

  useLayoutEffect(() => {
    measure();
  });

  useLayoutEffect(() => {
    window.addEventListener('resize', measure);
    const observer =
      typeof ResizeObserver === 'function' && root.current
        ? new ResizeObserver(() => measure())
        : undefined;
    if (observer && root.current) observer.observe(root.current);
    return () => {
      window.removeEventListener('resize', measure);
      observer?.disconnect();
    };
  }, [measure, root]);

  useLayoutEffect(() => {
    const rootEl = root.current;
    if (scrolled || !layout || !rootEl) return;
    setScrolled(true);
    if (rootEl.getBoundingClientRect().bottom > window.innerHeight)
      rootEl.scrollIntoView?.({ block: 'start' });
  }, [layout, scrolled, root]);

  return layout;
}
