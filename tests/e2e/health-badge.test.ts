// The health badge in a real browser: on the entity page it renders (it is
// fetched with the user's token, not left to an <img> that has none), and the
// public address the card offers shows the badge to a browser and to a plain
// HTTP client that have never signed in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, signInAsGuest } from './support/browser.ts';
import type { RunningPortal } from './support/portal.ts';
import {
  demoEnvironment,
  openPortalSession,
  type PortalSession,
} from './support/session.ts';

let session: PortalSession;
let portal: RunningPortal;
let page: Page;
let publicUrl = '';

before(async () => {
  session = await openPortalSession({
    name: 'health-badge',
    // One instance, no boot snapshot to keep: the badge only needs counts.
    config: { loco: demoEnvironment(1, { storageMode: 'ephemeral' }) },
  });
  ({ portal, page } = session);
});

after(async () => {
  await session?.close();
});

test('the entity page shows the health badge as an image, not a broken one', async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo`);
  const badge = page.getByRole('img', {
    name: 'Loco health badge of loco-demo',
  });
  await badge.waitFor({ timeout: 120_000 });
  assert.match(
    (await badge.getAttribute('src')) ?? '',
    /^data:image\/svg\+xml/,
  );
  await page.waitForFunction(
    () =>
      ((
        document.querySelector(
          'img[alt="Loco health badge of loco-demo"]',
        ) as HTMLImageElement | null
      )?.naturalWidth ?? 0) > 0,
    null,
    { timeout: 30_000 },
  );
  const size = await badge.evaluate(img => ({
    width: (img as HTMLImageElement).naturalWidth,
    height: (img as HTMLImageElement).naturalHeight,
  }));
  assert.ok(size.width > 60, `badge drawn ${size.width}px wide`);
  assert.equal(size.height, 20, 'shields.io height');

  const snippet = await page
    .getByTestId('loco-health-badge')
    .locator('code')
    .textContent();
  const match = /^!\[Loco health\]\((.+)\)$/.exec(snippet ?? '');
  assert.ok(match, `Markdown offered: ${snippet}`);
  publicUrl = match[1];
  assert.ok(!publicUrl.includes('loco-demo'), 'the address names nothing');
});

test('the public address shows the badge to a browser that never signed in', async () => {
  assert.ok(publicUrl, 'the entity page offered a public address');
  // A separate browser: no cookie, no token, nothing from the portal.
  const stranger = await launchBrowser();
  try {
    const other = await stranger.browser.newPage();
    const response = await other.goto(publicUrl);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-type'] ?? '', /^image\/svg\+xml/);
    const label = await other.locator('svg').getAttribute('aria-label');
    assert.match(label ?? '', /^loco: \d+\/1 healthy$/);
  } finally {
    await stranger.close();
  }
});

test('a plain HTTP client (curl) gets the same badge and nothing else', async () => {
  const response = await fetch(publicUrl);
  assert.equal(response.status, 200);
  const svg = await response.text();
  assert.match(svg, /<title>loco: \d+\/1 healthy<\/title>/);
  assert.ok(!svg.includes('loco-demo'), 'the badge names no environment');
});
