// Self-service provisioning end to end: the real portal backend runs the
// "Create Loco environment" template through Backstage's scaffolder (a real
// task, not a dry run), the local runtime starts real QEMU emulators that
// become healthy, and the "Destroy Loco environment" template removes them.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  launchBrowser,
  saveScreenshot,
  signInAsGuest,
} from './support/browser.ts';
import {
  guestToken,
  type RunningPortal,
  startPortal,
} from './support/portal.ts';
import { waitForEveryTilePainted } from './support/screens.ts';

const ENV = 'prov-e2e';
let portal: RunningPortal;
let token: string;

async function api(method: string, route: string, body?: unknown) {
  const response = await fetch(`${portal.baseUrl}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (e.g. a PNG)
  }
  return { status: response.status, json, text };
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not in time\n${portal.logs().slice(-4000)}`);
    await sleep(1000);
  }
}

/** Runs a template as the guest user through the scaffolder's task API and returns the finished task. */
async function runTemplate(name: string, values: Record<string, unknown>) {
  await waitFor(
    `template ${name} in the catalog`,
    async () => {
      const r = await api(
        'GET',
        `/api/catalog/entities/by-name/template/default/${name}`,
      );
      return r.status === 200 ? true : undefined;
    },
    120_000,
  );
  const created = await api('POST', '/api/scaffolder/v2/tasks', {
    templateRef: `template:default/${name}`,
    values,
    secrets: {},
  });
  assert.equal(created.status, 201, created.text);
  const taskId = created.json.id as string;
  const task = await waitFor(
    `task ${taskId}`,
    async () => {
      const r = await api('GET', `/api/scaffolder/v2/tasks/${taskId}`);
      return ['completed', 'failed', 'cancelled'].includes(r.json?.status)
        ? r.json
        : undefined;
    },
    300_000,
  );
  const events = await api('GET', `/api/scaffolder/v2/tasks/${taskId}/events`);
  const log = (events.json ?? [])
    .map((e: any) => e.body?.message)
    .filter(Boolean)
    .join('\n');
  return { task, log };
}

before(async () => {
  // Only the environment this test creates runs: no loco-demo beside it.
  const noDemo = path.join(
    os.tmpdir(),
    `loco-e2e-provisioning-${process.pid}.json`,
  );
  await fs.writeFile(
    noDemo,
    JSON.stringify({ loco: { local: { environments: [] } } }),
  );
  portal = await startPortal({ extraConfig: [noDemo] });
  token = await guestToken(portal.baseUrl);
});

after(async () => {
  // Never leave emulators behind, whatever failed.
  if (portal && token)
    await api('GET', `/api/loco/environments/${ENV}`).then(
      async r => {
        if (r.status === 200)
          await runTemplate('destroy-loco-environment', {
            name: ENV,
            runtime: 'local',
            confirm: true,
          }).catch(() => undefined);
      },
      () => undefined,
    );
  await portal?.stop();
});

test('the create template starts a local environment whose instances become healthy', async () => {
  const { task, log } = await runTemplate('create-loco-environment', {
    name: ENV,
    owner: 'group:default/guests',
    runtime: 'local',
    instances: 2,
    storageMode: 'ephemeral',
    snapshotTag: 'demo',
    wait: true,
  });
  assert.equal(task.status, 'completed', log);
  assert.match(log, /prov-e2e: 2\/2 instances healthy/);

  const env = await api('GET', `/api/loco/environments/${ENV}`);
  assert.equal(env.status, 200, env.text);
  assert.equal(env.json.runtime, 'local');
  assert.equal(env.json.owner, 'group:default/guests');
  assert.equal(env.json.instances.length, 2);
  assert.deepEqual(
    env.json.instances.map((i: any) => i.state),
    ['healthy', 'healthy'],
  );

  // The screens are live: each instance serves a PNG of its display.
  for (const index of [0, 1]) {
    const shot = await fetch(
      `${portal.baseUrl}/api/loco/environments/${ENV}/instances/${index}/screenshot`,
      {
        headers: { Authorization: `Bearer ${token}` },
      },
    );
    assert.equal(shot.status, 200);
    assert.equal(shot.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await shot.arrayBuffer());
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
  }
});

test('the new environment appears in the catalog and its tiles go live in the browser', async () => {
  // The catalog learns about environments from the Loco entity provider (catalog-backend-module-loco).
  await waitFor(
    'resource:default/prov-e2e in the catalog',
    async () => {
      const r = await api(
        'GET',
        `/api/catalog/entities/by-name/resource/default/${ENV}`,
      );
      return r.status === 200 ? r.json : undefined;
    },
    120_000,
  );
  const { browser, close } = await launchBrowser();
  const page = await browser.newPage({
    viewport: { width: 1200, height: 900 },
  });
  try {
    await signInAsGuest(page, portal.baseUrl);
    // The link the create template outputs.
    await page.goto(`${portal.baseUrl}/catalog/default/resource/${ENV}/loco`);
    const tiles = page.locator('[data-testid^="loco-tile-"]');
    await tiles.first().waitFor({ timeout: 60_000 });
    assert.equal(await tiles.count(), 2);
    // Cold TCG boots share two cores with everything else: allow for a slow machine.
    await waitForEveryTilePainted(page, 2, 300_000);
  } finally {
    await saveScreenshot(page, 'provisioning-loco-tab').catch(() => undefined);
    await close();
  }
});

test('creating the same name again with another size is refused and leaves it running', async () => {
  const { task, log } = await runTemplate('create-loco-environment', {
    name: ENV,
    owner: 'group:default/guests',
    runtime: 'local',
    instances: 3,
    storageMode: 'ephemeral',
    wait: false,
  });
  assert.equal(task.status, 'failed');
  assert.match(log, /already exists/);
  const env = await api('GET', `/api/loco/environments/${ENV}`);
  assert.equal(env.json.instances.length, 2);
});

test('the destroy template removes the environment', async () => {
  const { task, log } = await runTemplate('destroy-loco-environment', {
    name: ENV,
    runtime: 'local',
    confirm: true,
  });
  assert.equal(task.status, 'completed', log);
  const env = await api('GET', `/api/loco/environments/${ENV}`);
  assert.equal(env.status, 404);
  const list = await api('GET', '/api/loco/environments');
  assert.ok(!list.json.items.some((e: any) => e.name === ENV));
});
