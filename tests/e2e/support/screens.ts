import fs from 'node:fs/promises';
import type { Page } from 'playwright-core';

/**
 * Pixel rows of one tile's canvas, each reduced to a hash, read in the page.
 * noVNC's canvas has the guest's framebuffer size whatever the tile's CSS size,
 * so rows are guest scanlines.
 */
export function canvasRows(page: Page, index: number): Promise<number[]> {
  return page.$eval(`[data-testid="loco-screen-${index}"] canvas`, node => {
    const canvas = node as HTMLCanvasElement;
    const ctx = canvas.getContext('2d');
    if (!ctx || canvas.width === 0) return [];
    const { data, width, height } = ctx.getImageData(
      0,
      0,
      canvas.width,
      canvas.height,
    );
    const rows: number[] = [];
    for (let y = 0; y < height; y++) {
      let hash = 0;
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        hash =
          (hash * 31 + ((data[i] << 16) | (data[i + 1] << 8) | data[i + 2])) |
          0;
      }
      rows.push(hash);
    }
    return rows;
  });
}

/** Indexes of rows that differ between two row-hash lists (all rows if the size changed). */
export function changedRows(before: number[], after: number[]): number[] {
  if (before.length !== after.length) return after.map((_, i) => i);
  return after.flatMap((hash, y) => (hash === before[y] ? [] : [y]));
}

/**
 * Rows that change by themselves (the guest's ticking status line) while
 * nobody types, watched for `ms`. Typing is judged on the other rows.
 */
export async function selfChangingRows(
  page: Page,
  index: number,
  ms: number,
): Promise<Set<number>> {
  const moving = new Set<number>();
  let previous = await canvasRows(page, index);
  for (const end = Date.now() + ms; Date.now() < end; ) {
    await page.waitForTimeout(250);
    const now = await canvasRows(page, index);
    changedRows(previous, now).forEach(y => moving.add(y));
    previous = now;
  }
  return moving;
}

/** Rows outside `ignore` that changed since `before`. */
export async function rowsChangedOutside(
  page: Page,
  index: number,
  before: number[],
  ignore: Set<number>,
): Promise<number[]> {
  return changedRows(before, await canvasRows(page, index)).filter(
    y => !ignore.has(y),
  );
}

/** Finds the pids of processes below `ancestor` whose command line has `-name <name>`. */
export async function findQemu(
  ancestor: number,
  name: string,
): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const argv = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').then(
      c => c.split('\0'),
      () => [],
    );
    const at = argv.indexOf('-name');
    if (at < 0 || argv[at + 1] !== name) continue;
    if (await descendsFrom(pid, ancestor)) pids.push(pid);
  }
  return pids;
}

async function descendsFrom(pid: number, ancestor: number): Promise<boolean> {
  for (let current = pid, hops = 0; current > 1 && hops < 16; hops++) {
    if (current === ancestor) return true;
    const stat = await fs
      .readFile(`/proc/${current}/stat`, 'utf8')
      .catch(() => '');
    // Fields after the parenthesised command: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!ppid) return false;
    current = ppid;
  }
  return false;
}

/** The environment as the API reports it, read with a guest token. */
export async function fetchEnvironment(
  baseUrl: string,
  token: string,
  name: string,
) {
  const response = await fetch(`${baseUrl}/api/loco/environments/${name}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok)
    throw new Error(`GET environment ${name}: ${response.status}`);
  return (await response.json()) as {
    instances: Array<{ index: number; name: string; state: string }>;
  };
}

/**
 * First row of the region where typing shows: from a little above the lowest
 * non-blank row (the shell prompt, the last text on screen) to the bottom.
 * A blank (all black) row hashes to 0. Rows above hold the guest's banner and
 * status lines, which change by themselves when peers come and go.
 */
export function typedRegionStart(rows: number[], lineHeight = 16): number {
  let last = rows.length - 1;
  while (last > 0 && rows[last] === 0) last--;
  return Math.max(0, last - lineHeight - 4);
}

/**
 * Waits until `count` tiles are live and each shows the running guest: boot
 * messages are grey on black, the demo guest's banner adds colour, so a third
 * colour on a canvas means its guest really runs. On timeout the error lists
 * every tile's state and caption.
 */
export async function waitForEveryTilePainted(
  page: Page,
  count: number,
  timeout: number,
): Promise<void> {
  try {
    await page.waitForFunction(
      n => {
        const canvases = [
          ...document.querySelectorAll('[data-testid^="loco-screen-"] canvas'),
        ] as HTMLCanvasElement[];
        const live = document.querySelectorAll('[data-connection="live"]');
        if (canvases.length !== n || live.length !== n) return false;
        return canvases.every(canvas => {
          const ctx = canvas.getContext('2d');
          if (!ctx || canvas.width === 0) return false;
          const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
          const colours = new Set<number>();
          for (let i = 0; i < data.length && colours.size < 3; i += 4) {
            colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
          }
          return colours.size >= 3;
        });
      },
      count,
      { timeout, polling: 250 },
    );
  } catch (error) {
    const tiles = await page
      .$$eval('[data-testid^="loco-tile-"]', nodes =>
        nodes.map(
          t =>
            `${t.getAttribute('data-connection')}: ${t.textContent?.slice(
              0,
              160,
            )}`,
        ),
      )
      .catch(() => []);
    throw new Error(`${(error as Error).message}\ntiles:\n${tiles.join('\n')}`);
  }
}
