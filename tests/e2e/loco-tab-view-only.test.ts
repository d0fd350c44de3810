import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { saveScreenshot, signInAsGuest } from './support/browser.ts';
import type { RunningPortal } from './support/portal.ts';
import {
  canvasRows,
  rowsChangedOutside,
  selfChangingRows,
  typedRegionStart,
} from './support/screens.ts';
import {
  demoEnvironment,
  openPortalSession,
  type PortalSession,
} from './support/session.ts';

// The guest sign-in's user, made view-only by the demo permission policy.
const GUEST = 'user:development/guest';
let session: PortalSession;
let portal: RunningPortal;
let page: Page;
let token: string;

before(async () => {
  session = await openPortalSession({
    name: 'loco-view-only',
    config: {
      locoPortal: { permissions: { viewOnlyUsers: [GUEST] } },
      // Two instances are plenty to prove view-only; the nine-tile wall is
      // loco-tab.test.ts's job.
      loco: demoEnvironment(2, { owner: 'group:default/guests' }),
    },
  });
  ({ portal, page, token } = session);
});

after(async () => {
  await session?.close();
});

const tile = (i: number) => page.locator(`[data-testid="loco-tile-${i}"]`);

test('the guest is the user the policy makes view-only', () => {
  const payload = JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString(),
  );
  assert.equal(payload.sub, GUEST);
});

test('a view-only user watches live screens and is told so', async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);
  await page.getByTestId('loco-view-only-notice').waitFor({ timeout: 60_000 });
  await page.waitForFunction(
    () =>
      document
        .querySelector('[data-testid="loco-tile-0"]')
        ?.getAttribute('data-state') === 'live',
    null,
    { timeout: 300_000 },
  );
  assert.equal(await tile(0).getByTestId('loco-view-only').count(), 1);

  // Actions are not offered, and the backend refuses them anyway.
  await page.getByRole('button', { name: 'More for loco-demo-0' }).click();
  await page.getByText('Picture quality…').waitFor();
  assert.equal(await page.getByText('Restart emulator…').count(), 0);
  assert.equal(await page.getByText('Send Ctrl-Alt-Del').count(), 0);
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });
  const restart = await fetch(
    `${portal.baseUrl}/api/loco/environments/loco-demo/instances/0/actions/restart`,
    { method: 'POST', headers: { Authorization: `Bearer ${token}` } },
  );
  assert.equal(restart.status, 403);
});

test("a view-only user's typing never reaches the guest", async () => {
  // Judge typing against the guest's shell, not its boot loader: wait for the
  // banner's colours (boot text alone is grey on black).
  await page.waitForFunction(
    () => {
      const canvas = document.querySelector(
        '[data-testid="loco-screen-0"] canvas',
      ) as HTMLCanvasElement | null;
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx || canvas.width === 0) return false;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return colours.size >= 3;
    },
    null,
    { timeout: 300_000, polling: 1000 },
  );
  // Let the banner settle before judging which rows change by themselves.
  await page.waitForTimeout(3000);
  const moving = await selfChangingRows(page, 0, 4000);
  const rows = await canvasRows(page, 0);
  // Judge the prompt line and below: the header changes as peers come and go.
  const region = typedRegionStart(rows);
  await page.locator('[data-testid="loco-screen-0"]').click();
  assert.equal(await tile(0).getAttribute('data-focused'), 'true');
  // The keys go to the tile's canvas (or nowhere), never to a button of the page.
  const active = await page.evaluate(() => document.activeElement?.tagName);
  assert.ok(
    active === 'CANVAS' || active === 'BODY',
    `keyboard focus on ${active}`,
  );
  assert.match(
    (await tile(0).getByTestId('loco-status').textContent()) ?? '',
    /View only/,
  );

  await page.keyboard.type('echo hello-loco', { delay: 60 });
  await page.keyboard.press('Enter');
  await page.waitForTimeout(4000);
  const changed = (await rowsChangedOutside(page, 0, rows, moving)).filter(
    y => y >= region,
  );
  assert.deepEqual(
    changed,
    [],
    `the prompt region (rows ${region}+) is unchanged`,
  );
  await saveScreenshot(page, 'loco-view-only-typed');
});
