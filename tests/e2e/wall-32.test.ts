// The wall at the portal's largest environment (issue 21 point 4), in
// Chromium against the real portal: 32 tiles at 1280x800 and 1920x1080 fit
// the window's width (no sideways scroll, the columns adapt), every tile's
// label shows its number and its whole instance name, and a tile's
// fullscreen button is one click away. 32 real QEMU guests are more than a
// test should start on this machine (the bench starts them: bench/wall), so
// the environment is a release on the fake Kubernetes API server (the test
// double of support/fakeCluster.ts, serving the chart's StatefulSet and 32
// pods): the portal lists and lays out its 32 instances as it would real
// ones; their screens stay unconnected, which the layout does not depend on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { saveScreenshot, signInAsGuest } from './support/browser.ts';
import { startFakeCluster, type FakeCluster } from './support/fakeCluster.ts';
import { openPortalSession, type PortalSession } from './support/session.ts';

const ENV = 'wall32';
const COUNT = 32;
let cluster: FakeCluster;
let session: PortalSession;
let page: Page;

before(async () => {
  cluster = await startFakeCluster([
    { environment: ENV, instances: COUNT, namespace: 'loco' },
  ]);
  session = await openPortalSession({
    name: 'wall-32',
    config: {
      kubernetes: cluster.config,
      // No local environments: nothing here needs QEMU.
      loco: { local: { environments: [] } },
    },
    viewport: { width: 1280, height: 800 },
  });
  page = session.page;
  await signInAsGuest(page, session.portal.baseUrl);
});

after(async () => {
  await session?.close();
  await cluster?.close();
});

async function openWall() {
  // The catalog publishes the release's entity within a processing round.
  const url = `${session.portal.baseUrl}/catalog/default/resource/${ENV}/loco`;
  for (let attempt = 0; ; attempt++) {
    await page.goto(url);
    const shown = await page
      .getByTestId(`loco-tile-${COUNT - 1}`)
      .waitFor({ timeout: 30_000 })
      .then(
        () => true,
        () => false,
      );
    if (shown) return;
    if (attempt === 5) throw new Error(`the wall of ${ENV} never showed`);
  }
}

for (const [width, height] of [
  [1280, 800],
  [1920, 1080],
]) {
  test(`32 tiles at ${width}x${height}: no sideways scroll, whole labels, fullscreen in one click`, async () => {
    await page.setViewportSize({ width, height });
    await openWall();
    // Let the layout settle (fonts, the first health answer).
    await page.waitForTimeout(1500);
    const seen = await page.evaluate(() => {
      const tiles = [
        ...document.querySelectorAll('[data-testid^="loco-tile-"]'),
      ].filter(t => /^loco-tile-\d+$/.test(t.getAttribute('data-testid')!));
      const visibleText = (el: HTMLElement, box: DOMRect) => {
        const own = el.getBoundingClientRect();
        return {
          text: el.innerText,
          cut:
            el.scrollWidth > el.clientWidth ||
            own.width < 1 ||
            own.left < box.left ||
            own.right > box.right,
        };
      };
      return {
        innerWidth: window.innerWidth,
        pageWidth: document.documentElement.scrollWidth,
        tiles: tiles.map(t => {
          const box = t.getBoundingClientRect();
          const name = t.querySelector('[data-testid="loco-name"]');
          const fullscreen = t.querySelector(
            'button[aria-label^="Fullscreen"]',
          );
          const button = fullscreen?.getBoundingClientRect();
          return {
            left: box.left,
            right: box.right,
            number: visibleText(
              t.querySelector('[data-testid="loco-number"]') as HTMLElement,
              box,
            ),
            name: name ? visibleText(name as HTMLElement, box) : null,
            fullscreenInside:
              !!button &&
              button.width > 0 &&
              button.left >= box.left &&
              button.right <= box.right &&
              button.top >= box.top &&
              button.bottom <= box.bottom,
          };
        }),
      };
    });
    await saveScreenshot(page, `wall-32-${width}x${height}`, {
      fullPage: false,
    });
    const where = `${width}x${height}`;
    assert.equal(seen.tiles.length, COUNT, where);
    assert.ok(
      seen.pageWidth <= seen.innerWidth,
      `${where}: page ${seen.pageWidth} px wide in a ${seen.innerWidth} px window`,
    );
    seen.tiles.forEach((t, i) => {
      assert.ok(
        t.left >= 0 && t.right <= seen.innerWidth,
        `${where}: tile ${i} spans ${t.left}-${t.right}`,
      );
      assert.deepEqual(
        t.number,
        { text: `#${i}`, cut: false },
        `${where}: tile ${i}'s number`,
      );
      assert.deepEqual(
        t.name,
        { text: `${ENV}-${i}`, cut: false },
        `${where}: tile ${i}'s name is whole`,
      );
      assert.ok(t.fullscreenInside, `${where}: tile ${i}'s fullscreen button`);
    });
    // The wall adapts its columns: more than one, fewer than all.
    const columns = new Set(seen.tiles.map(t => Math.round(t.left))).size;
    assert.ok(columns > 1 && columns < COUNT, `${where}: ${columns} columns`);

    // The last tile, wherever it is, goes fullscreen with one click.
    const last = `${ENV}-${COUNT - 1}`;
    await page.getByRole('button', { name: `Fullscreen ${last}` }).click();
    try {
      await page.waitForFunction(
        id => document.fullscreenElement?.getAttribute('data-testid') === id,
        `loco-tile-${COUNT - 1}`,
        { timeout: 10_000, polling: 100 },
      );
    } finally {
      await page.evaluate(
        () => document.fullscreenElement && document.exitFullscreen(),
      );
    }
  });
}
