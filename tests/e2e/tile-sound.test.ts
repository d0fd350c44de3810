import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { signInAsGuest } from './support/browser.ts';
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

// Not a note of the demo's boot jingle (523, 659, 784 Hz), so a late jingle cannot pass for it.
const TONE_HZ = 700;
let session: PortalSession;
let portal: RunningPortal;
let page: Page;

before(async () => {
  session = await openPortalSession({
    name: 'tile-sound',
    config: {
      loco: {
        local: {
          ...demoEnvironment(2).local,
          // The card's audio backend carries the PC speaker the demo's `tone` plays.
          sound: 'ac97',
        },
      },
    },
  });
  ({ portal, page } = session);
  // The test's ear on the page's speakers (support/soundEar.ts).
  await installEar(page);
});

after(async () => {
  await session?.close();
});

const tile = (i: number) => page.locator(`[data-testid="loco-tile-${i}"]`);
const speaker = (i: number) => tile(i).getByTestId('loco-speaker');

/** Types the demo's tone command into the focused tile's shell. */
async function playTone(p: Page) {
  await p.locator('[data-testid="loco-screen-0"]').click();
  await p.keyboard.type(`tone ${TONE_HZ} 1500`, { delay: 40 });
  await p.keyboard.press('Enter');
}

const AUDIBLE_DB = -60;

test("the focused tile plays its guest's tone, and only it", async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/loco-demo/loco`);
  await page
    .locator('[data-testid="loco-screen-0"] canvas')
    .waitFor({ timeout: 120_000 });
  // The click that focuses tile 0 is also the gesture that lets the page play sound.
  await page.locator('[data-testid="loco-screen-0"]').click();
  assert.equal(await speaker(0).getAttribute('aria-pressed'), 'true');
  assert.equal(await speaker(1).getAttribute('aria-pressed'), 'false');

  const bin = await binHz(page);
  // Within two analyser bins (about 11 Hz at 48 kHz) of the guest's pitch.
  const isTone = (h: Heard) =>
    Boolean(h && h.db > AUDIBLE_DB && Math.abs(h.hz - TONE_HZ) <= 2 * bin);
  // Until the guest has booted to its shell the command goes nowhere, and
  // the boot jingle may still be playing: try again.
  let heard: Heard = null;
  for (let attempt = 0; attempt < 30 && !isTone(heard); attempt++) {
    await playTone(page);
    heard = await listenFor(page, 3000);
  }
  assert.ok(
    isTone(heard),
    `heard ${JSON.stringify(heard)}, the guest played ${TONE_HZ} Hz`,
  );
});

test('a click on another tile makes it the only one playing: the muted tile is silent', async () => {
  await speaker(1).click();
  assert.equal(await speaker(1).getAttribute('aria-pressed'), 'true');
  assert.equal(await speaker(0).getAttribute('aria-pressed'), 'false');
  // The tone of the test before may still be ringing out: wait for quiet.
  await page.waitForFunction(
    db => {
      const ear = ((window as any).locoTestEars as AnalyserNode[])[0];
      const bins = new Float32Array(ear.frequencyBinCount);
      ear.getFloatFrequencyData(bins);
      return Math.max(...bins) < db;
    },
    AUDIBLE_DB,
    { timeout: 30_000, polling: 100 },
  );
  // Tile 0 keeps the keyboard (it is still the focused tile) and plays the tone again.
  await playTone(page);
  const muted = await listenFor(page, 3000);
  assert.ok(
    !muted || muted.db < AUDIBLE_DB,
    `a muted tile was heard: ${JSON.stringify(muted)}`,
  );

  // One click back on tile 0 and its tone is heard again (the tone above did play).
  await speaker(0).click();
  assert.equal(await speaker(0).getAttribute('aria-pressed'), 'true');
  await playTone(page);
  const again = await listenFor(page, 3000);
  assert.ok(
    again && again.db > AUDIBLE_DB && Math.abs(again.hz - TONE_HZ) < 25,
    `heard ${JSON.stringify(again)}, the guest played ${TONE_HZ} Hz`,
  );
});
