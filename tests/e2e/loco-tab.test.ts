import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  launchBrowser,
  saveScreenshot,
  signInAsGuest,
} from './support/browser.ts';
import {
  guestToken,
  ROOT,
  type RunningPortal,
  startPortal,
} from './support/portal.ts';
import {
  canvasRows,
  fetchEnvironment,
  findQemu,
  rowsChangedOutside,
  selfChangingRows,
  typedRegionStart,
} from './support/screens.ts';

// One backend for the whole file.
let portal: RunningPortal;
let closeBrowser: () => Promise<void>;
let page: Page;
let token: string;
let count = 0;

before(async () => {
  portal = await startPortal();
  const launched = await launchBrowser();
  closeBrowser = launched.close;
  page = await launched.browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  token = await guestToken(portal.baseUrl);
});

after(async () => {
  // Whatever happened, keep a picture of where the page ended up.
  if (page)
    await saveScreenshot(page, 'loco-tab-last-state').catch(() => undefined);
  await closeBrowser?.();
  await portal?.stop();
});

/** A cheap fingerprint of every tile's canvas, read in the page. */
function canvasFingerprints(p: Page) {
  return p.$$eval('[data-testid^="loco-screen-"] canvas', canvases =>
    canvases.map(node => {
      const canvas = node as HTMLCanvasElement;
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0) return { distinct: 0, hash: 0 };
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set<number>();
      let hash = 0;
      for (let i = 0; i < data.length; i += 4) {
        const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        colours.add(rgb);
        hash = (hash * 31 + rgb) | 0;
      }
      return { distinct: colours.size, hash };
    }),
  );
}

const tile = (i: number) => page.locator(`[data-testid="loco-tile-${i}"]`);

/** Keeps the runtime's own picture of an instance (the backend's screenshot route). */
async function saveBackendScreenshot(index: number, name: string) {
  const response = await fetch(
    `${portal.baseUrl}/api/loco/environments/loco-demo/instances/${index}/screenshot`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  assert.equal(response.status, 200, 'the backend takes a screenshot');
  const dir = path.join(ROOT, 'test-results');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, `${name}.png`),
    Buffer.from(await response.arrayBuffer()),
  );
}

test('a guest sees every loco-demo screen live, and the screens change', async () => {
  count = (await fetchEnvironment(portal.baseUrl, token, 'loco-demo')).instances
    .length;
  assert.ok(count > 0, 'the demo environment has instances');

  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);

  const tiles = page.locator('[data-testid^="loco-tile-"]');
  await tiles.first().waitFor({ timeout: 60_000 });
  assert.equal(
    await tiles.count(),
    count,
    'one tile per instance the API reports',
  );

  // A fresh clone cold-boots all nine, about one per core at a time, and they
  // share two cores with the browser: allow for a slow machine. (Later starts
  // resume from the boot snapshots in about a second.)
  const deadline = Date.now() + 300_000;
  await page.waitForFunction(
    n => document.querySelectorAll('[data-connection="live"]').length === n,
    count,
    { timeout: 300_000 },
  );
  // Boot messages are grey on black; the guest's banner adds colour. Waiting for
  // a third colour means every tile shows the running guest, not the BIOS.
  let first = await canvasFingerprints(page);
  while (first.some(shot => shot.distinct < 3) && Date.now() < deadline) {
    await page.waitForTimeout(1000);
    first = await canvasFingerprints(page);
  }
  assert.equal(first.length, count);
  first.forEach((shot, i) =>
    assert.ok(shot.distinct >= 3, `screen ${i} shows the guest's banner`),
  );

  // The status line ticks every second: every screen must change within a few seconds.
  const changed = new Set<number>();
  for (let attempt = 0; attempt < 8 && changed.size < count; attempt++) {
    await page.waitForTimeout(1000);
    (await canvasFingerprints(page)).forEach((shot, i) => {
      if (shot.hash !== first[i].hash) changed.add(i);
    });
  }
  assert.equal(
    changed.size,
    count,
    `screens that changed: ${[...changed].join(', ')}`,
  );

  // The header chip and the SVG badge tell the same story as the API.
  await page.waitForFunction(
    n =>
      document.querySelector('[data-testid="loco-health-chip"]')
        ?.textContent === `${n}/${n} healthy`,
    count,
    { timeout: 60_000 },
  );
  const badge = await fetch(
    `${portal.baseUrl}/api/loco/badges/environments/loco-demo.svg`,
    {
      headers: { Authorization: `Bearer ${token}` },
    },
  );
  assert.equal(badge.status, 200);
  assert.match(
    await badge.text(),
    new RegExp(`loco: ${count}/${count} healthy`),
  );
  await saveScreenshot(page, 'loco-demo-tab');
});

test('a user with control clicks a tile and types into the guest shell', async () => {
  const before = await selfChangingRows(page, 0, 4000);
  const rows = await canvasRows(page, 0);
  // Judge the prompt line and below: the header changes as peers come and go.
  const region = typedRegionStart(rows);
  await page.locator('[data-testid="loco-screen-0"]').click();
  await page.waitForFunction(
    () => document.activeElement?.tagName === 'CANVAS',
    null,
    { timeout: 10_000 },
  );
  assert.equal(await tile(0).getAttribute('data-focused'), 'true');
  // Only the focused tile takes input.
  assert.equal(await tile(1).getAttribute('data-focused'), 'false');

  await page.keyboard.type('echo hello-loco', { delay: 60 });
  await page.keyboard.press('Enter');

  // The typed line and the shell's answer change rows that do not change by themselves.
  let changed: number[] = [];
  for (const end = Date.now() + 15_000; Date.now() < end; ) {
    changed = (await rowsChangedOutside(page, 0, rows, before)).filter(
      y => y >= region,
    );
    if (changed.length > 0 && Math.max(...changed) - Math.min(...changed) > 16)
      break;
    await page.waitForTimeout(500);
  }
  assert.ok(changed.length > 0, 'the typed text appeared on the guest screen');
  assert.ok(
    Math.max(...changed) - Math.min(...changed) > 16,
    `the command line and its output span more than one text line (rows ${Math.min(
      ...changed,
    )}-${Math.max(...changed)})`,
  );
  await saveScreenshot(page, 'loco-typed-hello');
  await saveBackendScreenshot(0, 'loco-typed-hello-guest');

  await tile(0).getByRole('button', { name: 'Release' }).click();
  assert.equal(await tile(0).getAttribute('data-focused'), 'false');
});

test('a tile goes fullscreen and comes back', async () => {
  const normal = await page
    .locator('[data-testid="loco-screen-0"] canvas')
    .boundingBox();
  await page.getByRole('button', { name: 'Fullscreen loco-demo-0' }).click();
  try {
    await page.waitForFunction(
      () =>
        document.fullscreenElement?.getAttribute('data-testid') ===
        'loco-tile-0',
      null,
      { timeout: 10_000, polling: 250 },
    );
    // The screen fills the larger space (noVNC rescales on resize).
    await page.waitForFunction(
      width => {
        const canvas = document.querySelector(
          '[data-testid="loco-screen-0"] canvas',
        );
        return (canvas?.getBoundingClientRect().width ?? 0) > width + 50;
      },
      normal?.width ?? 0,
      { timeout: 10_000, polling: 250 },
    );
    await saveScreenshot(page, 'loco-fullscreen', { fullPage: false });
    // The same button leaves fullscreen.
    await page.getByRole('button', { name: 'Fullscreen loco-demo-0' }).click();
    await page.waitForFunction(
      () => document.fullscreenElement === null,
      null,
      {
        timeout: 10_000,
        polling: 250,
      },
    );
  } finally {
    await page.evaluate(
      () => document.fullscreenElement && document.exitFullscreen(),
    );
  }
  // And so does the keyboard: click to focus, Alt+Shift+Enter toggles it.
  await page.locator('[data-testid="loco-screen-2"]').click();
  await page.keyboard.press('Alt+Shift+Enter');
  await page.waitForFunction(
    () =>
      document.fullscreenElement?.getAttribute('data-testid') === 'loco-tile-2',
    null,
    { timeout: 10_000, polling: 250 },
  );
  await page.keyboard.press('Alt+Shift+Enter');
  await page.waitForFunction(() => document.fullscreenElement === null, null, {
    timeout: 10_000,
    polling: 250,
  });
  await page.keyboard.press('Alt+Shift+Escape');
  await page.waitForFunction(
    () => !document.querySelector('[data-focused="true"]'),
    null,
    { polling: 250 },
  );
});

test("a killed emulator's tile says why and comes back by itself", async () => {
  const pids = await findQemu(portal.pid, 'loco-demo-1');
  assert.equal(
    pids.length,
    1,
    'exactly one QEMU named loco-demo-1 under this backend',
  );
  assert.equal(await tile(1).getAttribute('data-state'), 'live');
  process.kill(pids[0], 'SIGKILL');

  await page.waitForFunction(
    () =>
      document
        .querySelector('[data-testid="loco-tile-1"]')
        ?.getAttribute('data-state') !== 'live',
    null,
    { timeout: 30_000, polling: 100 },
  );
  const status = await tile(1).getByTestId('loco-status').textContent();
  assert.match(
    status ?? '',
    /^(disconnected|unhealthy|booting|connecting): \S/,
    `the tile says it lost its screen, in words: ${status}`,
  );
  // Health is fetched as soon as the session drops; it names the cause.
  await page.waitForFunction(
    () =>
      /exited \(signal SIGKILL\)/.test(
        document.querySelector(
          '[data-testid="loco-tile-1"] [data-testid="loco-status"]',
        )?.textContent ?? '',
      ),
    null,
    { timeout: 60_000, polling: 250 },
  );
  await saveScreenshot(page, 'loco-killed-instance');

  await page.waitForFunction(
    () =>
      document
        .querySelector('[data-testid="loco-tile-1"]')
        ?.getAttribute('data-state') === 'live',
    null,
    { timeout: 180_000, polling: 500 },
  );
  const [after] = (await canvasFingerprints(page)).slice(1, 2);
  assert.ok(after.distinct >= 2, 'the restarted emulator draws again');
  assert.notDeepEqual(
    await findQemu(portal.pid, 'loco-demo-1'),
    pids,
    'a new QEMU runs instance 1',
  );
  await saveScreenshot(page, 'loco-instance-back');
});
