import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { isReady } from '../health/deriveInstanceHealth';
import { readTextScreen, until } from '../local/__testUtils__/guestScreen';
import { DEMO_DISK, freePort } from './__testUtils__/agentProcess';
import { QemuLanHub } from './__testUtils__/qemuLanHub';
import { readAgentConfig } from './agentConfig';
import { AgentMetrics } from './agentMetrics';
import { EmulatorAgent } from './EmulatorAgent';

// Two pods' emulator agents (in process, to read the guests' screens over
// QMP) with real QEMU guests on the chart's LAN hub, itself real QEMU. The hub
// is killed and started again: the guests' own LAN check (guest/lan pings
// the peer) goes from ok to -- and back to ok, while both QEMU processes keep
// running: nobody is cut off.
jest.setTimeout(400_000);

const ENV = 'agentlan';
let dir: string;
let hub: QemuLanHub | undefined;
const agents: EmulatorAgent[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-lan-'));
});

afterAll(async () => {
  await Promise.all(agents.map(a => a.stop()));
  await hub?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The guest's LAN line (header row 8) names the peer with "ok" or "--". */
function lanLine(agent: EmulatorAgent, peer: number, result: 'ok' | '--') {
  return until(
    async () => {
      const rows = await readTextScreen(agent.supervisor!);
      return rows.some(r => r.includes(`${ENV}-${peer} ${result}`))
        ? true
        : undefined;
    },
    240_000,
    `instance sees ${ENV}-${peer} ${result}`,
    1000,
  );
}

describe('a LAN hub restart (real QEMU guests and hub)', () => {
  it('cuts no one: the guests see each other again, on the same QEMU processes', async () => {
    const ports = [await freePort(), await freePort()];
    hub = await QemuLanHub.start(ports);
    for (const index of [0, 1]) {
      const disk = path.join(dir, `disk${index}.qcow2`);
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
      const config = readAgentConfig({
        LOCO_ENV: ENV,
        LOCO_INSTANCE_COUNT: '2',
        LOCO_INSTANCE_INDEX: String(index),
        LOCO_DISK: disk,
        LOCO_RUN_DIR: path.join(dir, `run${index}`),
        // What the chart sets: the hub's address (its Service, here loopback).
        LOCO_NETDEV: `socket,id=lan0,connect=127.0.0.1:${ports[index]}`,
        LOCO_PROBE_INTERVAL_MS: '1000',
        LOCO_STOP_TIMEOUT: '1',
      });
      const agent = new EmulatorAgent(config, mockServices.logger.mock());
      agents.push(agent);
      await agent.start();
    }
    const [a, b] = agents;
    await Promise.all([lanLine(a, 1, 'ok'), lanLine(b, 0, 'ok')]);
    expect(a.health().health.facts.lanJoined).toBe(true);
    // The LAN line shows before the boot watch calls the boot over: wait for
    // that, so what follows is about the LAN alone.
    await until(
      async () => (isReady(a.health().health).ready ? true : undefined),
      240_000,
      'instance 0 ready',
    );
    const pids = agents.map(x => x.supervisor!.pid);

    await hub.kill();
    const off = await until(
      async () => {
        const { health } = a.health();
        return health.facts.lanJoined === false ? health : undefined;
      },
      30_000,
      'the relay notices the hub is gone',
    );
    expect(off.reasons).toContain('waiting for the LAN hub');
    expect(isReady(off)).toMatchObject({
      ready: false,
      reason: 'waiting for the LAN hub',
    });
    const metrics = new AgentMetrics(
      { health: () => a.health(), pid: () => a.supervisor?.pid },
      { environment: ENV, instance: '0' },
    );
    expect(await metrics.text()).toMatch(
      /^loco_emulator_lan_joined\{environment="agentlan",instance="0"\} 0$/m,
    );
    await Promise.all([lanLine(a, 1, '--'), lanLine(b, 0, '--')]);

    hub = await QemuLanHub.start(ports);
    await Promise.all([lanLine(a, 1, 'ok'), lanLine(b, 0, 'ok')]);
    for (const agent of agents) {
      const { health } = agent.health();
      expect(health.facts.lanJoined).toBe(true);
      expect(health.facts.restarts).toBe(0);
    }
    expect(agents.map(x => x.supervisor!.pid)).toEqual(pids);
    expect(await metrics.text()).toMatch(
      /^loco_emulator_lan_joined\{environment="agentlan",instance="0"\} 1$/m,
    );
  });
});
