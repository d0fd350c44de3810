import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AGENT_CONTROL_ROUTES,
  agentAuthorization,
} from '@loco-portal/plugin-loco-common';
import { diskInfo } from '../local/diskImages';
import {
  AgentProcess,
  BANNER_TXT,
  DEMO_DISK,
} from './__testUtils__/agentProcess';
import {
  bannerFromPixels,
  decodePng,
  expectedBanner,
} from './__testUtils__/pngPixels';

// One demo guest, driven through the real agent process from a missing disk
// to a resumed restart. The cases build on each other, in order.
jest.setTimeout(240_000);

const TOKEN = 'agent-test-token';
const auth = { authorization: agentAuthorization(TOKEN) };
let dir: string;
let disk: string;
let agent: AgentProcess;

function env(): Record<string, string> {
  return {
    LOCO_ENV: 'agent-unit',
    LOCO_DISK: disk,
    LOCO_RUN_DIR: path.join(dir, 'run'),
    LOCO_NETDEV: '',
    LOCO_VNC: '127.0.0.1:0', // TCP 5900, as in a pod (only the probe connects)
    LOCO_RETRY_SECONDS: '1',
    LOCO_SAVE_ON_STOP: 'true',
    LOCO_STOP_TIMEOUT: '10',
    LOCO_PROBE_INTERVAL_MS: '1000',
    LOCO_AGENT_TOKEN_FILE: path.join(dir, 'token'),
  };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-test-'));
  disk = path.join(dir, 'volume', 'disk.qcow2');
  fs.mkdirSync(path.dirname(disk));
  fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
});

afterAll(async () => {
  await agent?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** When the disk's `loco-saved` snapshot was taken (savevm replaces it). */
function savedAt(): number {
  const info = JSON.parse(
    execFileSync('qemu-img', ['info', '-U', '--output=json', disk], {
      encoding: 'utf8',
    }),
  );
  const saved = info.snapshots.find((s: any) => s.name === 'loco-saved');
  return saved['date-sec'] * 1e9 + saved['date-nsec'];
}

const screenshot = () =>
  agent.fetch(AGENT_CONTROL_ROUTES.screenshot, { headers: auth });
const action = (name: 'save' | 'restore' | 'reset') =>
  agent.fetch(AGENT_CONTROL_ROUTES.action(name), {
    method: 'POST',
    headers: auth,
  });

describe('the emulator agent (real process, real QEMU)', () => {
  it('without a disk: unhealthy with the reason, not ready, and control calls need the token', async () => {
    agent = await AgentProcess.start(env());
    const waiting = await agent.waitForHealth(
      'the missing disk reported',
      h => h.reasons.length > 1,
      20_000,
    );
    expect(waiting.state).toBe('unhealthy');
    expect(waiting.reasons[0]).toBe('emulator process is not running');
    expect(waiting.reasons[1]).toMatch(
      /^no disk at .*volume\/disk\.qcow2, and no snapshot to download .*; retrying every 1s$/,
    );
    expect((await agent.fetch('/ready')).status).toBe(503);

    const route = AGENT_CONTROL_ROUTES.action('save');
    expect((await agent.fetch(route, { method: 'POST' })).status).toBe(401);
    const wrong = await agent.fetch(route, {
      method: 'POST',
      headers: { authorization: agentAuthorization('guess') },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({
      error: { name: 'NotAllowedError', message: 'wrong token' },
    });
    expect((await agent.fetch(AGENT_CONTROL_ROUTES.screenshot)).status).toBe(
      401,
    );
    // The right token reaches the instance, which cannot act yet.
    const early = await action('save');
    expect(early.status).toBe(409);
    expect((await early.json()).error.message).toMatch(/not running yet/);

    // A replaced Secret counts at once (the kubelet rewrites the mounted file).
    fs.writeFileSync(path.join(dir, 'token'), 'the-next-token\n');
    expect((await action('save')).status).toBe(403);
    const next = await agent.fetch(route, {
      method: 'POST',
      headers: { authorization: agentAuthorization('the-next-token') },
    });
    expect(next.status).toBe(409);
    fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
  });

  it('boots once the disk appears, saves its boot snapshot and shows the banner in a PNG', async () => {
    execFileSync('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      DEMO_DISK,
      '-F',
      'qcow2',
      disk,
    ]);
    const up = await agent.waitForHealth(
      'QEMU running',
      h => h.facts.processAlive,
      30_000,
    );
    expect(up.facts.bootMode).toBe('cold');
    expect(up.reasons.join()).not.toMatch(/no disk/);
    // Until the boot watch says booted, the guest is not there for a player.
    const booting = await agent.waitForHealth(
      'booting',
      h => h.reasons[0] === 'guest still booting',
      60_000,
    );
    expect(booting.state).toBe('starting');
    expect(booting.facts.guestBooted).toBe(false);
    const notReady = await agent.fetch('/ready');
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('starting: guest still booting\n');
    const healthy = await agent.waitForHealth(
      'healthy',
      h => h.state === 'healthy' && h.facts.vncReachable === true,
      120_000,
    );
    expect(healthy.facts.guestBooted).toBe(true);
    // No hub (LOCO_NETDEV is empty): nothing to join, so nothing is claimed.
    expect(healthy.facts).not.toHaveProperty('lanJoined');
    for (
      let i = 0;
      !(await diskInfo(disk)).snapshots.includes('loco-booted');
      i++
    ) {
      if (i > 240) throw new Error(`no boot snapshot\n${agent.log()}`);
      await new Promise(r => setTimeout(r, 500));
    }
    const ready = await agent.fetch('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(/^(healthy|degraded): /);

    const banner = expectedBanner(fs.readFileSync(BANNER_TXT, 'utf8'));
    let shown: string[] = [];
    for (let i = 0; i < 60 && shown.join() !== banner.join(); i++) {
      const res = await screenshot();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      shown = bannerFromPixels(decodePng(Buffer.from(await res.arrayBuffer())));
      if (shown.join() !== banner.join())
        await new Promise(r => setTimeout(r, 1000));
    }
    expect(shown).toEqual(banner);
  });

  it('restore needs a save first; save, restore and reset then work', async () => {
    const early = await action('restore');
    expect(early.status).toBe(409);
    expect((await early.json()).error.message).toMatch(/no saved state yet/);
    expect((await action('save')).status).toBe(204);
    expect((await diskInfo(disk)).snapshots).toContain('loco-saved');
    expect((await action('restore')).status).toBe(204);
    expect((await action('reset')).status).toBe(204);
    const metrics = await (await agent.fetch('/metrics')).text();
    expect(metrics).toMatch(
      /^loco_emulator_up\{environment="agent-unit",instance="0"\} 1$/m,
    );
    expect(metrics).toMatch(
      /^loco_emulator_guest_booted\{environment="agent-unit",instance="0"\} 1$/m,
    );
    // No hub here: nothing to join, so no value.
    expect(metrics).not.toMatch(/^loco_emulator_lan_joined\{/m);
  });

  it('SIGTERM saves the running state and exits; the next start resumes from it', async () => {
    const before = savedAt();
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect(agent.log()).toMatch(/saved the running state/);
    expect(savedAt()).toBeGreaterThan(before);

    agent = await AgentProcess.start(env());
    const resumed = await agent.waitForHealth(
      'QEMU resumed',
      h => h.facts.processAlive,
      30_000,
    );
    expect(resumed.facts.bootMode).toBe('snapshot');
  });
});
