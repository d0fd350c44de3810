import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { signInAsGuest } from './support/browser.ts';
import type { RunningPortal } from './support/portal.ts';
import { waitForEveryTilePainted } from './support/screens.ts';
import {
  demoEnvironment,
  openPortalSession,
  type PortalSession,
} from './support/session.ts';

// The server's side of the tiles' sessions, seen from a real browser: view-only
// while watching (D7), and let go at once when the page goes (D9).
const INSTANCES = 3;
let session: PortalSession;
let portal: RunningPortal;
let page: Page;
let token: string;

before(async () => {
  session = await openPortalSession({
    name: 'loco-tab-sessions',
    config: { loco: demoEnvironment(INSTANCES) },
  });
  ({ portal, page, token } = session);
});

after(async () => {
  await session?.close();
});

/** Open VNC sessions by mode, as the backend's own metric counts them. */
async function openSessions(): Promise<{ view: number; control: number }> {
  const response = await fetch(`${portal.baseUrl}/api/loco/metrics`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  const counts = { view: 0, control: 0 };
  for (const line of (await response.text()).split('\n')) {
    const match = /^loco_vnc_sessions\{.*mode="(view|control)".*\} (\d+)/.exec(
      line,
    );
    if (match) counts[match[1] as 'view' | 'control'] += Number(match[2]);
  }
  return counts;
}

/** Polls until the sessions are as expected or `ms` have passed; returns the last count. */
async function sessionsWithin(
  ms: number,
  expected: { view: number; control: number },
) {
  const deadline = Date.now() + ms;
  let seen = await openSessions();
  while (JSON.stringify(seen) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) break;
    await new Promise(r => setTimeout(r, 50));
    seen = await openSessions();
  }
  return seen;
}

const everyTilePainted = (p: Page, timeout: number) =>
  waitForEveryTilePainted(p, INSTANCES, timeout);

test('watching tiles hold view-only sessions on the server; playing one holds the only session that can type', async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);
  // A fresh clone cold-boots the instances first.
  await everyTilePainted(page, 300_000);
  assert.deepEqual(
    await sessionsWithin(1_000, { view: INSTANCES, control: 0 }),
    {
      view: INSTANCES,
      control: 0,
    },
  );

  await page.locator('[data-testid="loco-screen-1"]').click();
  await page.waitForSelector(
    '[data-testid="loco-tile-1"][data-focused="true"]',
  );
  await everyTilePainted(page, 30_000);
  assert.deepEqual(
    await sessionsWithin(2_000, { view: INSTANCES - 1, control: 1 }),
    { view: INSTANCES - 1, control: 1 },
  );
});

test('ten reloads in a row: every tile paints each time, and the old page’s sessions end within a second', async () => {
  for (let reload = 1; reload <= 10; reload++) {
    await page.reload();
    await everyTilePainted(page, 30_000);
    const seen = await sessionsWithin(1_000, { view: INSTANCES, control: 0 });
    assert.deepEqual(
      seen,
      { view: INSTANCES, control: 0 },
      `after reload ${reload}, only this page's sessions are open`,
    );
  }
});

test('leaving the Loco tab inside the app ends every session within a second', async () => {
  await page.getByText('Catalog').first().click();
  await page.waitForSelector('[data-testid^="loco-tile-"]', {
    state: 'detached',
  });
  assert.deepEqual(await sessionsWithin(1_000, { view: 0, control: 0 }), {
    view: 0,
    control: 0,
  });
});
