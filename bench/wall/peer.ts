// The peer: Debian's own noVNC client (package novnc, /usr/share/novnc),
// one vnc_lite.html per instance, laid out as a wall of iframes the size of
// our tiles, every one connected through OUR gateway's WebSocket. The files
// are served at the portal's own origin (a Playwright route under
// /novnc-peer/), because the gateway refuses an Origin that is not the
// app's; the user's token goes in as the same WebSocket subprotocols our own
// client offers ('binary' and the token; a script put in front of
// vnc_lite.html's own adds them), because vnc_lite.html cannot pass them.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const NOVNC_DIR = process.env.NOVNC_DIR ?? '/usr/share/novnc';
const PREFIX = '/novnc-peer/';

export interface PeerWall {
  environment: string;
  count: number;
  columns: number;
  /** Our tile's screen box, so the peer draws the same number of pixels. */
  screen: { width: number; height: number };
}

/** vnc_lite.html's status bar above its screen, added to each iframe. */
const BAR_PX = 36;

function wallHtml(baseUrl: string, wall: PeerWall): string {
  const { port, hostname } = new URL(baseUrl);
  const src = (i: number) =>
    `${PREFIX}vnc_lite.html?${new URLSearchParams({
      host: hostname,
      port,
      path: `api/loco/environments/${wall.environment}/instances/${i}/vnc`,
      scale: 'true',
      // Watching, as an unfocused tile of ours does.
      view_only: 'true',
    })}`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>peer wall</title></head>
<body style="margin:0">
<div id="wall" style="display:grid;gap:16px;grid-template-columns:repeat(${
    wall.columns
  },${wall.screen.width}px)"></div>
<script>
const sources = ${JSON.stringify(
    Array.from({ length: wall.count }, (_, i) => src(i)),
  )};
window.__mountWall = () => sources.forEach((src, i) => {
  const frame = document.createElement('iframe');
  frame.dataset.tile = String(i);
  frame.width = ${wall.screen.width};
  frame.height = ${wall.screen.height + BAR_PX};
  frame.style.border = '0';
  frame.src = src;
  document.getElementById('wall').appendChild(frame);
});
if (!location.search.includes('mount=later')) window.__mountWall();
</script></body></html>`;
}

/**
 * A classic script (it runs before vnc_lite's module) that makes every
 * WebSocket offer 'binary' (as our client does: the gateway answers only
 * that one) and the user's token.
 */
const withToken = (protocol: string) => `<script>
// A Proxy, not a subclass: noVNC checks a socket's methods on its own
// prototype only, and a subclass's prototype has none of them.
window.WebSocket = new Proxy(window.WebSocket, {
  construct(Native, [url, protocols]) {
    const list = protocols === undefined ? [] : [protocols].flat();
    return Reflect.construct(Native, [url, [...new Set([...list, 'binary']), ${JSON.stringify(
      protocol,
    )}]]);
  },
});
</script>`;

/** Serves the peer's wall and noVNC's files at `${baseUrl}/novnc-peer/`; returns the wall's URL. */
export async function servePeer(
  context: BrowserContext,
  baseUrl: string,
  wall: PeerWall,
  tokenProtocol: string,
): Promise<string> {
  await fs.access(path.join(NOVNC_DIR, 'vnc_lite.html')).catch(() => {
    throw new Error(
      `${NOVNC_DIR}/vnc_lite.html missing: apt-get install novnc (scripts/bootstrap.sh does)`,
    );
  });
  const html = wallHtml(baseUrl, wall);
  await context.route(`${baseUrl}${PREFIX}**`, async route => {
    const url = new URL(route.request().url());
    const rel = decodeURIComponent(url.pathname.slice(PREFIX.length));
    if (rel === 'wall.html') {
      await route.fulfill({ body: html, contentType: 'text/html' });
      return;
    }
    const file = path.resolve(NOVNC_DIR, rel);
    if (!file.startsWith(`${NOVNC_DIR}/`)) {
      await route.fulfill({ status: 403 });
      return;
    }
    if (rel === 'vnc_lite.html') {
      // vnc_lite.html as Debian ships it, with the socket's subprotocols
      // added before its own script runs.
      const page = await fs.readFile(file, 'utf8');
      await route.fulfill({
        body: page.replace('<head>', `<head>${withToken(tokenProtocol)}`),
        contentType: 'text/html',
      });
      return;
    }
    await route
      .fulfill({ path: file })
      .catch(() => route.fulfill({ status: 404 }));
  });
  return `${baseUrl}${PREFIX}wall.html`;
}

/** What each of the peer's vnc_lite.html pages says in its status bar. */
export const peerStatus = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('iframe')]
      .map(
        f =>
          `  peer tile ${f.dataset.tile}: ${
            f.contentDocument?.getElementById('status')?.textContent ??
            'no status'
          }`,
      )
      .join('\n'),
  );
