import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, saveScreenshot, signInAsGuest } from './support/browser.ts';
import { type RunningPortal, startPortal } from './support/portal.ts';

let portal: RunningPortal;
let closeBrowser: () => Promise<void>;
let page: Page;

before(async () => {
  portal = await startPortal({ port: 7017 });
  const launched = await launchBrowser();
  closeBrowser = launched.close;
  page = await launched.browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

after(async () => {
  // Whatever happened, keep a picture of where the page ended up.
  if (page) await saveScreenshot(page, 'loco-tab-last-state').catch(() => undefined);
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

test('a guest sees every loco-demo screen live, and the screens change', async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);

  const tiles = page.locator('[data-testid^="loco-tile-"]');
  await tiles.first().waitFor({ timeout: 60_000 });
  const count = await tiles.count();
  assert.equal(count, 4, 'one tile per configured instance');

  await page.waitForFunction(
    n => document.querySelectorAll('[data-connection="live"]').length === n,
    count,
    { timeout: 90_000 },
  );
  // Boot messages are grey on black; the guest's banner adds colour. Waiting for
  // a third colour means every tile shows the running guest, not the BIOS.
  const deadline = Date.now() + 120_000;
  let first = await canvasFingerprints(page);
  while (first.some(shot => shot.distinct < 3) && Date.now() < deadline) {
    await page.waitForTimeout(1000);
    first = await canvasFingerprints(page);
  }
  assert.equal(first.length, count);
  first.forEach((shot, i) => assert.ok(shot.distinct >= 3, `screen ${i} shows the guest's banner`));

  // The status line ticks every second: every screen must change within a few seconds.
  const changed = new Set<number>();
  for (let attempt = 0; attempt < 8 && changed.size < count; attempt++) {
    await page.waitForTimeout(1000);
    (await canvasFingerprints(page)).forEach((shot, i) => {
      if (shot.hash !== first[i].hash) changed.add(i);
    });
  }
  assert.equal(changed.size, count, `screens that changed: ${[...changed].join(', ')}`);
  await saveScreenshot(page, 'loco-demo-tab');
});
