// Backstage's own Kubernetes tab beside the Loco tab (issue 17 item 4): the
// demo portal, configured with one cluster in Backstage's Kubernetes plugin
// config only (`kubernetes.clusterLocatorMethods`, no `loco.kubernetes`), finds
// an environment release on it, publishes the environment with the plugin's
// annotations, and the environment's standard "Kubernetes" tab lists its pods
// in Chromium. The cluster is the fake API server (TLS, its own CA), serving
// the chart's rendered StatefulSet and pods.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { signInAsGuest } from './support/browser.ts';
import { startFakeCluster, type FakeCluster } from './support/fakeCluster.ts';
import type { RunningPortal } from './support/portal.ts';
import { openPortalSession, type PortalSession } from './support/session.ts';

// Not the chart's default namespace: the annotation must carry the real one.
const release = { environment: 'lab', instances: 2, namespace: 'team-lab' };
const podNames = ['lab-0', 'lab-1'];

let cluster: FakeCluster;
let session: PortalSession;
let portal: RunningPortal;
let page: Page;

before(async () => {
  cluster = await startFakeCluster([
    release,
    // Another environment on the same cluster: its pods must not show.
    { environment: 'other', instances: 1, namespace: 'team-lab' },
  ]);
  session = await openPortalSession({
    name: 'kubernetes-tab',
    config: {
      kubernetes: cluster.config,
      // No local environments: nothing here needs QEMU.
      loco: { local: { environments: [] } },
    },
  });
  ({ portal, page } = session);
});

after(async () => {
  await session?.close();
  await cluster?.close();
});

test('the environment entity carries the Kubernetes plugin annotations, with its namespace', async () => {
  // Loco's runtime found the release through the plugin's cluster config;
  // the catalog module publishes it (bounded: a catalog processing round).
  const url = `${portal.baseUrl}/api/catalog/entities/by-name/resource/default/lab`;
  let entity: any;
  for (const end = Date.now() + 120_000; !entity && Date.now() < end; ) {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    if (res.ok) entity = await res.json();
    else await new Promise(r => setTimeout(r, 500));
  }
  assert.ok(entity, 'environment lab reached the catalog');
  assert.deepEqual(
    {
      id: entity.metadata.annotations['backstage.io/kubernetes-id'],
      selector:
        entity.metadata.annotations['backstage.io/kubernetes-label-selector'],
      namespace:
        entity.metadata.annotations['backstage.io/kubernetes-namespace'],
    },
    {
      id: 'lab',
      selector:
        'app.kubernetes.io/part-of=lego-loco-cluster,loco.dev/environment=lab',
      namespace: 'team-lab',
    },
  );
});

test("the entity's Kubernetes tab lists the environment's pods", async () => {
  await signInAsGuest(page, portal.baseUrl);
  await page.goto(`${portal.baseUrl}/catalog/default/resource/lab`);
  // The standard tab, as a user finds it among the entity page's tabs.
  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Kubernetes', exact: true })
    .click({ timeout: 120_000 });
  await page.waitForURL(/\/catalog\/default\/resource\/lab\/kubernetes$/);
  // The cluster, then the environment's StatefulSet, open as a user opens them.
  await page
    .getByRole('button', { name: `${cluster.name} Cluster` })
    .click({ timeout: 60_000 });
  const statefulSet = page.getByRole('button', {
    name: `lab Stateful Set namespace: ${release.namespace}`,
  });
  await statefulSet.first().click({ timeout: 60_000 });
  const rows = page.getByRole('row');
  for (const name of podNames) {
    await rows
      .filter({ has: page.getByRole('cell', { name, exact: true }) })
      .first()
      .waitFor({ timeout: 60_000 });
  }
  assert.equal(
    await page.getByRole('button', { name: /^other Stateful Set/ }).count(),
    0,
    "another environment's StatefulSet is not listed",
  );
  assert.equal(await page.getByText('other-0', { exact: true }).count(), 0);
  // The plugin asked for the release's namespace only (the annotation's).
  assert.ok(
    cluster.api.requests.some(
      r => r.path === `/api/v1/namespaces/${release.namespace}/pods`,
    ),
    `pod lists asked for: ${cluster.api.requests
      .filter(r => r.path.endsWith('/pods'))
      .map(r => r.path)
      .join(', ')}`,
  );
});
