import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConflictError } from '@backstage/errors';
import { diskInfo } from '../local/diskImages';
import { AgentProcess, BANNER_TXT } from '../agent/__testUtils__/agentProcess';
import {
  bannerFromPixels,
  decodePng,
  expectedBanner,
} from '../agent/__testUtils__/pngPixels';
import type { KubernetesRuntime } from './KubernetesRuntime';
import {
  AGENT_TOKEN as TOKEN,
  startAgentPods,
  type AgentPods,
} from './__testUtils__/agentPodsFixture';
import { agentSecret } from './__testUtils__/emulatorObjects';
import { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// The portal's Kubernetes runtime driving real emulator agents (real QEMU)
// through a fake API server whose pods point at them: every instance action,
// screenshots, and the agents' own health reasons.
jest.setTimeout(240_000);

let dir: string;
let pods: AgentPods;
let api: FakeKubernetesApiServer;
let running: AgentProcess;

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
  pods = await startAgentPods(dir);
  ({ api, running } = pods);
});

afterAll(async () => {
  await pods?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('KubernetesRuntime through the emulator agent', () => {
  it("shows the agent's own reasons, and refuses actions on an instance that is not running", async () => {
    const runtime = pods.startRuntime('direct');
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
    const runtime = pods.startRuntime('direct');
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
    const runtime = pods.startRuntime('portForward');
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
    const runtime = pods.startRuntime('direct');
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
