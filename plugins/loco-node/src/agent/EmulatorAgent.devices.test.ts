import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readCmdline } from '../local/procStat';
import { PID_FILE } from '../local/staleRuns';
import {
  AgentProcess,
  DEMO_DISK,
  freePort,
} from './__testUtils__/agentProcess';

// What a pod's emulator gets beyond the demo defaults, through the real agent
// process and real QEMU: the chart's TCP LAN hub (QEMU starts only once the
// agent's relay has joined it, and connects to the relay, not the hub), a sound card and the shared folder (which real QEMU must
// accept, with VNC on TCP as in the image), and KVM asked for: used where it
// runs the guest, else TCG with the reason on /health.
jest.setTimeout(300_000);

let dir: string;
let agent: AgentProcess | undefined;
const hubSockets: net.Socket[] = [];
let hub: net.Server | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-agent-devices-'));
});

afterAll(async () => {
  await agent?.kill();
  hubSockets.forEach(s => s.destroy());
  hub?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the emulator agent with the chart hub, sound, a shared folder and KVM (real QEMU)', () => {
  it('waits for the hub, then runs QEMU with every device, on the accelerator that works here', async () => {
    const disk = path.join(dir, 'disk.qcow2');
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
    const shared = path.join(dir, 'shared');
    fs.mkdirSync(shared);
    const runDir = path.join(dir, 'run');
    const hubPort = await freePort();
    const vncDisplay = (await freePort()) - 5900;

    agent = await AgentProcess.start({
      LOCO_ENV: 'agent-devices',
      LOCO_DISK: disk,
      LOCO_RUN_DIR: runDir,
      LOCO_NETDEV: `socket,id=lan0,connect=127.0.0.1:${hubPort}`,
      LOCO_VNC: `127.0.0.1:${vncDisplay}`,
      // SB16, the card Windows 98 and Lego Loco expect (docs/own-disk.md).
      LOCO_SOUND: 'sb16',
      LOCO_SHARED_DIR: shared,
      LOCO_ACCEL: 'kvm',
      LOCO_STOP_TIMEOUT: '1',
      LOCO_PROBE_INTERVAL_MS: '1000',
    });

    const waiting = await agent.waitForHealth(
      'waiting for the hub',
      h => h.reasons[0] === `waiting for the LAN hub 127.0.0.1:${hubPort}`,
      20_000,
    );
    expect(waiting.state).toBe('starting');
    expect(waiting.facts.processAlive).toBe(false);

    // The hub comes up: a TCP listener standing in for the chart's LAN hub.
    hub = net.createServer(socket => hubSockets.push(socket));
    await new Promise<void>(resolve =>
      hub!.listen(hubPort, '127.0.0.1', resolve),
    );
    await agent.waitForHealth(
      'QEMU running',
      h => h.facts.processAlive,
      30_000,
    );
    const pid = Number(fs.readFileSync(path.join(runDir, PID_FILE), 'utf8'));
    const argv = (await readCmdline(pid)) ?? [];
    const after = (flag: string) =>
      argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
    expect(after('-vnc')).toEqual([`127.0.0.1:${vncDisplay},audiodev=snd0`]);
    expect(after('-device')).toContain('sb16,audiodev=snd0');
    expect(after('-machine')[0]).toMatch(/,pcspk-audiodev=snd0$/);
    expect(after('-drive')).toContain(
      `file=fat:rw:${shared},format=raw,if=ide,index=1`,
    );
    // QEMU's link is to the relay on loopback; the hub sees the relay only.
    const [netdev] = after('-netdev');
    expect(netdev).toMatch(/^socket,id=lan0,connect=127\.0\.0\.1:\d+$/);
    expect(netdev).not.toBe(`socket,id=lan0,connect=127.0.0.1:${hubPort}`);
    expect(hubSockets.map(s => s.readyState)).toEqual(['open']);

    // Real QEMU accepted every device: the guest runs, VNC (with audio) answers.
    const settled = await agent.waitForHealth(
      'healthy, VNC answering',
      h => h.state === 'healthy' && h.facts.vncReachable === true,
      240_000,
    );
    // The accelerator QEMU really runs on, read from the process itself (KVM
    // on nested hosts may run a guest a while, then fail: the agent falls
    // back to TCG, and no separate run of QEMU can predict when).
    const running = Number(
      fs.readFileSync(path.join(runDir, PID_FILE), 'utf8'),
    );
    const reallyOn = ((await readCmdline(running)) ?? [])
      .join(' ')
      .includes('accel=kvm')
      ? 'kvm'
      : 'tcg';
    // Without the device, QEMU cannot even start on KVM.
    expect(reallyOn === 'kvm' && !fs.existsSync('/dev/kvm')).toBe(false);
    expect(settled.facts.accelerator).toBe(reallyOn);
    expect(
      settled.reasons.some((r: string) =>
        /^KVM requested but unusable here \(.*\); running on TCG$/.test(r),
      ),
    ).toBe(reallyOn === 'tcg');
  });
});
