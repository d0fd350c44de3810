import type { Page } from 'playwright-core';

/**
 * The demo guest's screen, read from a tile's canvas: an 80x25 text console
 * (9x16 cells) with a 9-line header that changes by itself (clock, LAN) above
 * the shell. Lines are numbered from 0.
 */
const COLUMNS = 80;
const LINES = 25;
const SHELL_TOP = 9;
const LAST_LINE = LINES - 1;
/** `loco-demo-N:/#`: the prompt's cells, left of the (blinking) cursor. */
const PROMPT_COLUMNS = 14;

/**
 * Each text line's left part, the prompt's width, as one hash (0: all black):
 * what the shell wrote at the start of the line.
 */
function lineStarts(page: Page, index: number): Promise<number[]> {
  return page.$eval(
    `[data-testid="loco-screen-${index}"] canvas`,
    (node, [columns, lines, promptColumns]) => {
      const canvas = node as HTMLCanvasElement;
      const ctx = canvas.getContext('2d')!;
      const cw = canvas.width / columns;
      const lh = canvas.height / lines;
      const hashes: number[] = [];
      for (let line = 0; line < lines; line++) {
        const { data } = ctx.getImageData(0, line * lh, promptColumns * cw, lh);
        let hash = 0;
        for (let i = 0; i < data.length; i += 4) {
          hash =
            (hash * 31 + ((data[i] << 16) | (data[i + 1] << 8) | data[i + 2])) |
            0;
        }
        hashes.push(hash);
      }
      return hashes;
    },
    [COLUMNS, LINES, PROMPT_COLUMNS] as const,
  );
}

/** The shell's last line with text: the prompt the next key lands on. */
function promptLineOf(starts: number[]): number {
  let line = LAST_LINE;
  while (line > SHELL_TOP && starts[line] === 0) line--;
  return line;
}

/** Polls `page` (bounded by `timeout`) until `done` holds for tile `index`'s line starts. */
async function waitForLines(
  page: Page,
  index: number,
  done: (starts: number[]) => boolean,
  what: string,
  timeout = 30_000,
): Promise<number[]> {
  const deadline = Date.now() + timeout;
  let previous: string | undefined;
  for (;;) {
    const starts = await lineStarts(page, index);
    // Twice the same shell: a screen update is not caught half drawn.
    const shell = starts.slice(SHELL_TOP).join();
    if (done(starts) && previous === shell) return starts;
    previous = shell;
    if (Date.now() > deadline)
      throw new Error(`tile ${index}: ${what} did not happen`);
    await page.waitForTimeout(100);
  }
}

/**
 * Focuses tile `index` on `page` and types `text` (plain keys: QEMU maps a
 * keysym to its key without Shift). A tile that was not focused opens a new,
 * controlling session on focus; typing starts once that one is live, so no
 * key is lost in the browser before it reaches the server.
 */
export async function typeOnTile(
  page: Page,
  index: number,
  text: string,
  enter = false,
): Promise<void> {
  const tile = `[data-testid="loco-tile-${index}"]`;
  if ((await page.getAttribute(tile, 'data-focused')) !== 'true') {
    await page.$eval(tile, el => {
      const w = window as unknown as { locoReconnected: boolean };
      w.locoReconnected = false;
      new MutationObserver((_, observer) => {
        if (el.getAttribute('data-connection') !== 'live') {
          w.locoReconnected = true;
          observer.disconnect();
        }
      }).observe(el, { attributeFilter: ['data-connection'] });
    });
    await page.locator(`[data-testid="loco-screen-${index}"]`).click();
    await page.waitForFunction(
      t =>
        (window as unknown as { locoReconnected: boolean }).locoReconnected &&
        document.querySelector(t)?.getAttribute('data-connection') === 'live' &&
        document.querySelector(t)?.getAttribute('data-focused') === 'true',
      tile,
      { timeout: 60_000 },
    );
  }
  await page.keyboard.type(text, { delay: 40 });
  if (enter) await page.keyboard.press('Enter');
}

/**
 * `holder` runs `true` on tile `index` (after `intruder`, if given, typed
 * `intruder` on the same prompt without Enter) and, once the shell has
 * answered on the next line, says whether that line is a new prompt: true
 * means the shell saw `true` alone, so the intruder's keys never reached it
 * (had they, the line would read `sh: intrudertrue: not found`). An ordering
 * proof: the intruder's keys left its browser, on a live controlling session,
 * before the holder's first key. A full screen is cleared first by the holder.
 */
export async function nextLineIsPrompt(
  holder: Page,
  index: number,
  intruder?: Page,
): Promise<boolean> {
  let starts = await lineStarts(holder, index);
  if (promptLineOf(starts) >= LAST_LINE - 2) {
    await typeOnTile(holder, index, 'clear', true);
    starts = await waitForLines(
      holder,
      index,
      s => promptLineOf(s) === SHELL_TOP,
      'clear',
    );
  }
  const line = promptLineOf(starts);
  const prompt = starts[line];
  if (intruder) await typeOnTile(intruder, index, 'intruder');
  await typeOnTile(holder, index, 'true', true);
  const after = await waitForLines(
    holder,
    index,
    s => s[line + 1] !== 0,
    `an answer to 'true' on line ${line + 1}`,
  );
  return after[line + 1] === prompt;
}
