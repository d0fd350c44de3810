import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { diskInfo } from '../local/diskImages';
import { LocoMetrics } from '../metrics/LocoMetrics';
import {
  AgentProcess,
  BANNER_TXT,
  DEMO_DISK,
  freePort,
} from '../agent/__testUtils__/agentProcess';
import {
  bannerFromPixels,
  decodePng,
  expectedBanner,
} from '../agent/__testUtils__/pngPixels';
import { KubernetesRuntime } from './KubernetesRuntime';
import type { ClusterConfig } from './kubernetesConfig';
import {
  agentSecret,
  emulatorPod,
  emulatorStatefulSet,
} from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// The portal's Kubernetes runtime driving real emulator agents (real QEMU)
// through a fake API server whose pods point at them: every instance action,
// screenshots, and the agents' own health reasons.
jest.setTimeout(240_000);

const TOKEN = 'release-token';
const API_TOKEN = 'portal-sa-token';
let dir: string;
let api: FakeKubernetesApiServer;
let running: AgentProcess;
let waiting: AgentProcess;
const runtimes: KubernetesRuntime[] = [];

/** One agent per pod; both share the chart's ports, so each listens on 127.0.0.x. */
async function startAgent(
  name: string,
  env: Record<string, string>,
): Promise<AgentProcess> {
  const root = path.join(dir, name);
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'token'), TOKEN);
  return AgentProcess.start({
    LOCO_ENV: 'lab',
    LOCO_INSTANCE_COUNT: '2',
    LOCO_RUN_DIR: path.join(root, 'run'),
    LOCO_BUILTIN_DISK: DEMO_DISK,
    LOCO_NETDEV: '',
    LOCO_VNC: `127.0.0.1:${(await freePort()) - 5900}`,
    LOCO_PROBE_INTERVAL_MS: '1000',
    LOCO_RETRY_SECONDS: '1',
    LOCO_AGENT_TOKEN_FILE: path.join(root, 'token'),
    ...env,
  });
}

function startRuntime(
  access: ClusterConfig['emulatorAccess'],
  health: number,
): KubernetesRuntime {
  const runtime = new KubernetesRuntime({
    clusters: [
      {
        name: 'alpha',
        url: api.url,
        skipTLSVerify: true,
        authProvider: 'serviceAccount',
        serviceAccountToken: API_TOKEN,
        namespaces: ['loco'],
        emulatorAccess: access,
      },
    ],
    logger: mockServices.logger.mock(),
    metrics: new LocoMetrics(),
    ports: { vnc: 1, health },
    health: { intervalMs: 200, timeoutMs: 2000 },
  });
  runtime.start();
  runtimes.push(runtime);
  return runtime;
}

/** The listing's instance once `accept` takes it (polled: agents are other processes). */
async function instance(
  runtime: KubernetesRuntime,
  index: number,
  accept: (i: any) => boolean,
  timeoutMs = 150_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const { items } = await runtime.listEnvironments();
    last = items.find(e => e.name === 'lab')?.instances[index];
    if (last && accept(last)) return last;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`instance ${index}: last seen ${JSON.stringify(last)}`);
}

async function bannerOf(png: Buffer): Promise<string[]> {
  return bannerFromPixels(decodePng(png));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-k8s-agent-'));
  // lab-0 boots the demo disk; lab-1 waits for a disk that never comes.
  running = await startAgent('lab-0', { LOCO_INSTANCE_INDEX: '0' });
  waiting = await startAgent('lab-1', {
    LOCO_INSTANCE_INDEX: '1',
    LOCO_DISK: path.join(dir, 'lab-1', 'missing.qcow2'),
    LOCO_AGENT_LISTEN: `127.0.0.2:${running.port}`,
  });
  api = new FakeKubernetesApiServer({ token: API_TOKEN });
  await api.start();
  api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 2 }));
  api.apply('pods', emulatorPod('lab', 0, { podIP: '127.0.0.1' }));
  api.apply('pods', emulatorPod('lab', 1, { podIP: '127.0.0.2' }));
  api.apply('secrets', agentSecret('lab', TOKEN));
});

afterAll(async () => {
  await Promise.all(runtimes.map(r => r.stop()));
  await api?.stop();
  await Promise.all([running?.kill(), waiting?.kill()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('KubernetesRuntime through the emulator agent', () => {
  it("shows the agent's own reasons, and refuses actions on an instance that is not running", async () => {
    const runtime = startRuntime('direct', running.port);
    const lab1 = await instance(runtime, 1, i =>
      i.health.reasons.some((r: string) => r.startsWith('no disk at')),
    );
    expect(lab1.state).toBe('unhealthy');
    expect(lab1.health.reasons).toEqual([
      'emulator process is not running',
      expect.stringMatching(
        /^no disk at .*missing\.qcow2, and no snapshot to download .*; retrying every 1s$/,
      ),
    ]);
    await expect(runtime.runAction('lab', 1, 'save')).rejects.toThrow(
      ConflictError,
    );
  });

  it('takes screenshots of the guest and runs save, restore and reset (direct)', async () => {
    const runtime = startRuntime('direct', running.port);
    await instance(runtime, 0, i => i.state === 'healthy');
    const banner = expectedBanner(fs.readFileSync(BANNER_TXT, 'utf8'));
    let shown: string[] = [];
    for (let i = 0; i < 90 && shown.join() !== banner.join(); i++) {
      if (i > 0) await new Promise(r => setTimeout(r, 1000));
      shown = await bannerOf(await runtime.screenshot('lab', 0));
    }
    expect(shown).toEqual(banner);
    // `reset` returns to the boot snapshot, which the agent saves once the
    // first cold boot has settled (until then a reset is a cold reboot).
    const disk = path.join(dir, 'lab-0', 'run', 'disk.qcow2');
    for (
      let i = 0;
      !(await diskInfo(disk)).snapshots.includes('loco-booted');
      i++
    ) {
      if (i > 240) throw new Error(`no boot snapshot\n${running.log()}`);
      await new Promise(r => setTimeout(r, 500));
    }

    await expect(runtime.runAction('lab', 0, 'restore')).rejects.toThrow(
      /no saved state yet/,
    );
    await runtime.runAction('lab', 0, 'save');
    await runtime.runAction('lab', 0, 'restore');
    await runtime.runAction('lab', 0, 'reset');
    // Right after loadvm QEMU's screen is blank until its next display refresh.
    shown = [];
    for (let i = 0; i < 60 && shown.join() !== banner.join(); i++) {
      if (i > 0) await new Promise(r => setTimeout(r, 1000));
      shown = await bannerOf(await runtime.screenshot('lab', 0));
    }
    expect(shown).toEqual(banner);
  });

  it("reaches the agent through the API server's port-forward too", async () => {
    const runtime = startRuntime('portForward', running.port);
    await instance(runtime, 0, i => i.state === 'healthy');
    const png = await runtime.screenshot('lab', 0);
    expect(decodePng(png)).toMatchObject({ width: 720, height: 400 });
    await runtime.runAction('lab', 0, 'save');
    expect(
      api.requests.filter(r => r.path.endsWith('/pods/lab-0/portforward'))
        .length,
    ).toBeGreaterThanOrEqual(2);
  });

  it("refuses with the agent's answer to a wrong token, and reads a replaced Secret again", async () => {
    const runtime = startRuntime('direct', running.port);
    await instance(runtime, 0, i => i.state === 'healthy');
    const reads = () =>
      api.requests.filter(r => r.path.endsWith('/secrets/lab-agent')).length;
    api.apply('secrets', agentSecret('lab', 'stale'));
    await expect(runtime.screenshot('lab', 0)).rejects.toThrow(
      /answered 403: wrong token/,
    );
    api.apply('secrets', agentSecret('lab', TOKEN));
    const before = reads();
    expect(decodePng(await runtime.screenshot('lab', 0)).width).toBe(720);
    expect(reads()).toBe(before + 1); // the refused token, read again once
    await runtime.runAction('lab', 0, 'reset');
    expect(reads()).toBe(before + 1); // then kept
  });
});
