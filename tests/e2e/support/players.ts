import type { Browser, Page } from 'playwright-core';

/** packages/backend/src/demoPlayers.ts: the demo players' provider and header. */
const PLAYER_HEADER = 'x-loco-demo-player';

/**
 * Signs `who` in through the portal's own sign-in page, in a browser context
 * of its own (cookies and storage apart, like another person's browser):
 * `guest` is Backstage's guest, anything else one of the demo players.
 */
export async function signInAs(
  browser: Browser,
  baseUrl: string,
  who: string,
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
  });
  const page = await context.newPage();
  await page.goto(baseUrl);
  const button = page.getByRole('button', {
    name: who === 'guest' ? 'Enter' : `Sign in as ${who}`,
    exact: true,
  });
  await button.click();
  // Signed in once the sign-in page has gone and the app shell is up.
  await button.waitFor({ state: 'detached', timeout: 30_000 });
  await page.getByText('Catalog').first().waitFor({ timeout: 30_000 });
  return page;
}

/** A demo player's Backstage token, as the sign-in page gets it. */
export async function playerToken(
  baseUrl: string,
  player: string,
): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/demo-players/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest', [PLAYER_HEADER]: player },
  });
  if (!response.ok)
    throw new Error(`${player} sign-in failed: ${response.status}`);
  const body = (await response.json()) as {
    backstageIdentity: { token: string };
  };
  return body.backstageIdentity.token;
}
