// The emulator image, built and run for real (podman, no registry), driven by
// the portal's own Kubernetes runtime through a fake API server whose pod
// points at the container's published ports: health, every action, a
// screenshot whose pixels are the guest's banner, VNC, the control API's
// refusals, and a SIGTERM that saves the state a new container resumes from.
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  bannerFromPixels,
  decodePng,
  expectedBanner,
} from '../../plugins/loco-node/src/agent/__testUtils__/pngPixels.ts';
import { ensureImage, podman } from './helpers/podman.ts';
import { loadPortalClient, type PortalClient } from './helpers/portalClient.ts';
import { removeDir, REPO, tempDir } from './helpers/vm.ts';

const ENV = `img${process.pid}`;
const TOKEN = `token-${process.pid}-${Date.now()}`;
const API_TOKEN = 'portal-service-account';
const BANNER = expectedBanner(
  readFileSync(join(REPO, 'emulator-image/demo-disk/guest/banner.txt'), 'utf8'),
);

let image: string;
let dir: string;
let client: PortalClient;
let api: InstanceType<PortalClient['FakeKubernetesApiServer']>;
let runtime: InstanceType<PortalClient['KubernetesRuntime']>;
const ports = { health: 0, vnc: 0 };
const containers: string[] = [];

/** A host directory the container's user (uid 1000) owns, as a pod volume would be. */
function volume(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  chownSync(path, 1000, 1000);
  return path;
}

/** The chart's pod, as containers: prepare-disk (init), then the agent. */
function runPod(): string {
  const common = [
    '--volume',
    `${join(dir, 'data')}:/var/lib/loco`,
    '--env',
    'LOCO_DISK=/var/lib/loco/disk.qcow2',
  ];
  podman([
    'run',
    '--rm',
    '--read-only',
    ...common,
    '--volume',
    `${join(
      REPO,
      'chart/files/prepare-disk.sh',
    )}:/opt/loco-chart/prepare-disk.sh:ro`,
    '--env',
    'LOCO_BUILTIN_DISK=/opt/loco/disk/base.qcow2',
    '--env',
    'LOCO_BUILTIN_DISK_MODE=overlay',
    '--entrypoint',
    '/bin/sh',
    image,
    '/opt/loco-chart/prepare-disk.sh',
  ]);
  const name = `loco-img-${process.pid}-${containers.length}`;
  podman([
    'run',
    '--detach',
    '--name',
    name,
    '--read-only',
    ...common,
    '--network',
    'slirp4netns:port_handler=slirp4netns',
    '--publish',
    `127.0.0.1:${ports.health}:8080`,
    '--publish',
    `127.0.0.1:${ports.vnc}:5901`,
    '--volume',
    `${join(dir, 'run')}:/run/loco`,
    '--volume',
    `${join(dir, 'token')}:/etc/loco/agent/token:ro`,
    '--env',
    'LOCO_AGENT_TOKEN_FILE=/etc/loco/agent/token',
    '--env',
    `LOCO_ENV=${ENV}`,
    '--env',
    'LOCO_INSTANCE_COUNT=1',
    '--env',
    'LOCO_NETDEV=',
    '--env',
    'LOCO_SAVE_ON_STOP=true',
    '--env',
    'LOCO_STOP_TIMEOUT=15',
    image,
  ]);
  containers.push(name);
  return name;
}

/** The listing's instance once `accept` takes it (the agent is polled, not evented). */
async function instance(accept: (i: any) => boolean, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const { items } = await runtime.listEnvironments();
    last = items.find(e => e.name === ENV)?.instances[0];
    if (last && accept(last)) return last;
    await sleep(250);
  }
  throw new Error(
    `not within ${timeoutMs} ms; last seen ${JSON.stringify(last)}\n${logs()}`,
  );
}

function logs(): string {
  const name = containers.at(-1);
  return name ? podman(['logs', name], { allowFailure: true }).stderr : '';
}

/** The guest's banner read from the pixels of a screenshot the runtime fetched. */
async function bannerOnScreen(): Promise<string[]> {
  let shown: string[] = [];
  for (let i = 0; i < 60; i++) {
    shown = bannerFromPixels(decodePng(await runtime.screenshot(ENV, 0)));
    if (shown.join() === BANNER.join()) break;
    await sleep(1000);
  }
  return shown;
}

function freePort(): Promise<number> {
  return new Promise(resolve => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  const started = Date.now();
  image = ensureImage(line => console.log(`# ${line}`));
  console.log(
    `# image ready in ${((Date.now() - started) / 1000).toFixed(
      1,
    )} s: ${image}`,
  );
  dir = await tempDir('loco-image');
  volume('data');
  volume('run');
  writeFileSync(join(dir, 'token'), TOKEN, { mode: 0o400 });
  chownSync(join(dir, 'token'), 1000, 1000);
  ports.health = await freePort();
  ports.vnc = await freePort();

  client = await loadPortalClient();
  api = new client.FakeKubernetesApiServer({ token: API_TOKEN });
  await api.start();
  api.apply('statefulsets', client.emulatorStatefulSet(ENV, { replicas: 1 }));
  api.apply('pods', client.emulatorPod(ENV, 0, { podIP: '127.0.0.1' }));
  api.apply('secrets', client.agentSecret(ENV, TOKEN));
  const quiet = () => {};
  runtime = new client.KubernetesRuntime({
    clusters: [
      {
        name: 'podman',
        url: api.url,
        skipTLSVerify: true,
        authProvider: 'serviceAccount',
        serviceAccountToken: API_TOKEN,
        namespaces: ['loco'],
        emulatorAccess: 'direct',
      },
    ],
    logger: {
      info: quiet,
      warn: quiet,
      error: quiet,
      debug: quiet,
      child: () => runtime as any,
    },
    metrics: new client.LocoMetrics(),
    ports,
    health: { intervalMs: 500, timeoutMs: 3000 },
  });
  runtime.start();
  runPod();
});

after(async () => {
  await runtime?.stop();
  await api?.stop();
  for (const name of containers)
    podman(['rm', '--force', name], { allowFailure: true });
  await removeDir(dir);
});

test(
  'the container boots the guest: healthy through the portal, screenshot pixels are the banner',
  { timeout: 300_000 },
  async t => {
    const started = Date.now();
    const up = await instance(i => i.state === 'healthy');
    t.diagnostic(
      `healthy ${((Date.now() - started) / 1000).toFixed(1)} s after start`,
    );
    assert.equal(up.health.facts.bootMode, 'cold');
    assert.equal(up.health.facts.accelerator, 'tcg');
    assert.deepEqual(up.health.reasons, ['running, screen updating']);
    assert.deepEqual(await bannerOnScreen(), BANNER);

    const vnc = await runtime.openVnc(ENV, 0);
    const greeting = await new Promise<string>(resolve =>
      vnc.once('data', (d: Buffer) => resolve(d.toString())),
    );
    vnc.destroy();
    assert.equal(greeting, 'RFB 003.008\n');
  },
);

test('the control API answers nobody but the portal: 401 without a token, 403 with a wrong one', async () => {
  const url = `http://127.0.0.1:${ports.health}`;
  const save = client.AGENT_CONTROL_ROUTES.action('save');
  assert.equal((await fetch(`${url}${save}`, { method: 'POST' })).status, 401);
  const wrong = await fetch(`${url}${save}`, {
    method: 'POST',
    headers: { authorization: client.agentAuthorization('guessed') },
  });
  assert.equal(wrong.status, 403);
  assert.equal(
    (await fetch(`${url}${client.AGENT_CONTROL_ROUTES.screenshot}`)).status,
    401,
  );
  // The read-only routes stay open for kubelet probes and Prometheus.
  assert.equal((await fetch(`${url}/ready`)).status, 200);
  assert.match(
    await (await fetch(`${url}/metrics`)).text(),
    /^loco_emulator_up\{.*\} 1$/m,
  );
});

test(
  'every instance action works through the portal runtime',
  { timeout: 120_000 },
  async () => {
    await assert.rejects(
      runtime.runAction(ENV, 0, 'restore'),
      /no saved state yet/,
    );
    await runtime.runAction(ENV, 0, 'save');
    await runtime.runAction(ENV, 0, 'restore');
    await runtime.runAction(ENV, 0, 'reset');
    assert.deepEqual(await bannerOnScreen(), BANNER);
  },
);

test(
  'SIGTERM (podman stop) saves the running state; the next container resumes from it',
  { timeout: 300_000 },
  async t => {
    const name = containers.at(-1)!;
    const stopping = Date.now();
    podman(['stop', '--time', '30', name]);
    t.diagnostic(`stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
    const state = podman([
      'inspect',
      '--format',
      '{{.State.ExitCode}}',
      name,
    ]).stdout.trim();
    assert.equal(state, '0', logs());
    assert.match(logs(), /saved the running state/);
    // The pod is gone: health says so instead of going stale.
    await instance(
      i =>
        i.health.reasons.some((r: string) => r.startsWith('health endpoint:')),
      30_000,
    );

    runPod();
    const resumed = await instance(
      i => i.health.facts.processAlive && i.health.facts.bootMode !== null,
      120_000,
    );
    assert.equal(resumed.health.facts.bootMode, 'snapshot');
    await instance(i => i.state === 'healthy', 120_000);
    assert.deepEqual(await bannerOnScreen(), BANNER);
  },
);
