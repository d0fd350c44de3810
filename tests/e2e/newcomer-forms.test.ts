// The portal as a newcomer meets it (issue 23, point 7), in Chromium against
// the real portal: the create form's name check in one sentence, a taken
// name flagged before the review, the owner starting as the user, runtime
// choices as sentences, and the Loco tab's labelled runtime, place, storage.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { saveScreenshot, signInAsGuest } from './support/browser.ts';
import {
  demoEnvironment,
  openPortalSession,
  type PortalSession,
} from './support/session.ts';

// Its own name, so its own LAN group; it is also the name already taken.
const TAKEN = 'newcomer-forms';
const RULE =
  'use lower-case letters, digits and dashes, at most 40 characters, starting with a letter and ending with a letter or digit';
let session: PortalSession;
let page: Page;

before(async () => {
  session = await openPortalSession({
    name: TAKEN,
    config: {
      loco: demoEnvironment(1, { name: TAKEN, owner: 'group:default/guests' }),
    },
    viewport: { width: 1440, height: 900 },
  });
  page = session.page;
  await signInAsGuest(page, session.portal.baseUrl);
});

after(async () => {
  await session?.close();
});

const count = async (text: string) =>
  (await page.locator('body').innerText()).split(text).length - 1;

async function fillName(name: string) {
  const box = page.getByRole('textbox', { name: /Name/ });
  await box.fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
}

test('7. the create form: owner is the user, a bad name is one sentence, a taken name is flagged before the review', async () => {
  await page.goto(
    `${session.portal.baseUrl}/create/templates/default/create-loco-environment`,
  );
  const owner = page.locator('#root_owner');
  await owner.waitFor({ timeout: 60_000 });
  await page.waitForFunction(
    () =>
      /You \(user:/.test(
        document.querySelector('#root_owner')?.textContent ?? '',
      ),
    null,
    { timeout: 30_000 },
  );
  assert.match(
    (await owner.textContent()) ?? '',
    /^You \(user:development\/guest\)$/,
  );

  await fillName('Bad Name');
  const problem = `'Name' is not a valid name: ${RULE}`;
  await page.getByText(problem).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(500);
  assert.equal(await count(problem), 1, 'the problem is said once');
  assert.equal(await count(RULE), 1, 'the rule is not repeated beside it');
  assert.doesNotMatch(
    await page.locator('body').innerText(),
    /must match pattern|\^\[a-z\]/,
  );
  await saveScreenshot(page, 'newcomer-forms-bad-name');

  await fillName(TAKEN);
  const taken = `An environment named "${TAKEN}" already exists: choose another name.`;
  await page.getByText(taken).waitFor({ timeout: 30_000 });
  assert.equal(await count(taken), 1);
  // Still on the first step: the runtime question has not come.
  assert.equal(await page.getByText('Storage mode').count(), 0);
  await saveScreenshot(page, 'newcomer-forms-taken-name');

  await fillName('newcomer-forms-free');
  const runtime = page.locator('#root_runtime');
  await runtime.waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    () =>
      /QEMU/.test(document.querySelector('#root_runtime')?.textContent ?? ''),
    null,
    { timeout: 30_000 },
  );
  assert.equal(
    await runtime.textContent(),
    "QEMU emulators on the portal's own host (local)",
  );
  await runtime.click();
  const option = page.getByRole('option').first();
  assert.deepEqual((await option.innerText()).split('\n').filter(Boolean), [
    "QEMU emulators on the portal's own host",
    'local',
  ]);
  await saveScreenshot(page, 'newcomer-forms-runtime', { fullPage: false });
  await page.keyboard.press('Escape');
});

test('7. the Loco tab names what "local · local · persistent" are, and explains each', async () => {
  await page.goto(
    `${session.portal.baseUrl}/catalog/default/resource/${TAKEN}/loco`,
  );
  const facts = page.getByTestId('loco-environment-facts');
  await facts.waitFor({ timeout: 60_000 });
  assert.equal(
    (await facts.innerText()).replace(/\s+/g, ' ').trim(),
    'Runtime: local Runs on: local Storage: persistent',
  );
  // Reachable by keyboard: focus shows the same explanation as hover.
  await facts.getByText('Storage:').focus();
  await page
    .getByRole('tooltip')
    .getByText(
      'Storage persistent: every instance keeps its own disk across restarts',
    )
    .waitFor();
  await facts.getByText('Runtime:').hover();
  await page
    .getByRole('tooltip')
    .getByText("Runtime local: QEMU emulators on the portal's own host")
    .waitFor();
});
