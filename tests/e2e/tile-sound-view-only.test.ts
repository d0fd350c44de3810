import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { signInAsGuest } from './support/browser.ts';
import { typeIntoGuest } from './support/guestKeyboard.ts';
import {
  binHz,
  installEar,
  listenFor,
  type Heard,
} from './support/soundEar.ts';
import type { RunningPortal } from './support/portal.ts';
import {
  demoEnvironment,
  openPortalSession,
  type PortalSession,
} from './support/session.ts';

// Issue 19: audio follows the permission to watch. The guest sign-in's user
// is made view-only by the demo permission policy (loco.environment.read,
// not loco.instance.control), as in loco-tab-view-only.test.ts.
const GUEST = 'user:development/guest';
// Not a note of the demo's boot jingle (523, 659, 784 Hz).
const TONE_HZ = 700;
const AUDIBLE_DB = -60;
let session: PortalSession;
let portal: RunningPortal;
let page: Page;
let token: string;

before(async () => {
  session = await openPortalSession({
    name: 'tile-sound-view-only',
    config: {
      locoPortal: { permissions: { viewOnlyUsers: [GUEST] } },
      loco: {
        local: {
          ...demoEnvironment(1, { owner: 'group:default/guests' }).local,
          // The card's audio backend carries the PC speaker the demo's `tone` plays.
          sound: 'ac97',
        },
      },
    },
  });
  ({ portal, page, token } = session);
  await installEar(page);
});

after(async () => {
  await session?.close();
});

test('the guest is the user the policy makes view-only', async () => {
  const payload = JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString(),
  );
  assert.equal(payload.sub, GUEST);
  // The backend refuses it control, so the tone below cannot be its doing.
  const restart = await fetch(
    `${portal.baseUrl}/api/loco/environments/loco-demo/instances/0/actions/restart`,
    { method: 'POST', headers: { Authorization: `Bearer ${token}` } },
  );
  assert.equal(restart.status, 403);
});

test("a view-only user hears the focused tile's tone", async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);
  await page.getByTestId('loco-view-only-notice').waitFor({ timeout: 60_000 });
  await page
    .locator('[data-testid="loco-screen-0"] canvas')
    .waitFor({ timeout: 120_000 });
  // Focusing tile 0 is the gesture that lets the page play sound.
  await page.locator('[data-testid="loco-screen-0"]').click();
  const speaker = page
    .locator('[data-testid="loco-tile-0"]')
    .getByTestId('loco-speaker');
  assert.equal(await speaker.getAttribute('aria-pressed'), 'true');

  const bin = await binHz(page);
  const isTone = (h: Heard) =>
    Boolean(h && h.db > AUDIBLE_DB && Math.abs(h.hz - TONE_HZ) <= 2 * bin);
  // The operator (straight on QEMU's VNC socket) plays the tone; until the
  // guest has booted to its shell the command goes nowhere: try again.
  let heard: Heard = null;
  for (let attempt = 0; attempt < 40 && !isTone(heard); attempt++) {
    await typeIntoGuest(portal.pid, 'loco-demo-0', `tone ${TONE_HZ} 1500`);
    heard = await listenFor(page, 3000);
  }
  assert.ok(
    isTone(heard),
    `heard ${JSON.stringify(heard)}, the guest played ${TONE_HZ} Hz`,
  );
});
