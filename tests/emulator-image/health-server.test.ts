// The image's health server against real QEMU running the demo disk, started
// by the real entrypoint: measured facts, the state rules, readiness and
// liveness codes, Prometheus metrics, VNC on TCP, and the entrypoint's
// save-on-stop / restart bookkeeping that /health reports.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  getText,
  demoDisk,
  parseStatus,
  startEntrypoint,
  waitForHealth,
} from './helpers/health.ts';
import { Qmp } from './helpers/qmp.ts';
import {
  createOverlay,
  removeDir,
  run,
  tempDir,
  type Vm,
} from './helpers/vm.ts';

const HEALTH_PORT = 7511;
const VNC_DISPLAY = 1661; // TCP 7561
let dir: string;
let vm: Vm | undefined;

const env = () => ({
  LOCO_ENV: 'img-health',
  LOCO_DISK: join(dir, 'disk.qcow2'),
  LOCO_RUN_DIR: dir,
  LOCO_NETDEV: '',
  LOCO_VNC: `127.0.0.1:${VNC_DISPLAY}`,
  LOCO_HEALTH_LISTEN: `127.0.0.1:${HEALTH_PORT}`,
  LOCO_HEALTH_INTERVAL: '1',
  LOCO_SAVE_ON_STOP: 'true',
  LOCO_STOP_TIMEOUT: '10',
});

before(async () => {
  dir = await tempDir('img-health');
  createOverlay(demoDisk(dir), join(dir, 'disk.qcow2'));
  vm = await startEntrypoint(dir, env());
});

after(async () => {
  await vm?.kill();
  await removeDir(dir);
});

test(
  'booting: measured facts, "starting" until the screen changes, then healthy and ready',
  { timeout: 200_000 },
  async () => {
    const first = await waitForHealth(
      vm!,
      HEALTH_PORT,
      'a first answer',
      r => r.body.facts.processAlive,
      30_000,
    );
    assert.equal(first.status, 200);
    assert.notEqual(first.body.state, 'unhealthy');
    const healthy = await waitForHealth(
      vm!,
      HEALTH_PORT,
      'healthy',
      r => r.body.state === 'healthy',
      180_000,
    );
    const { facts } = healthy.body;
    assert.deepEqual(healthy.body.reasons, ['running, screen updating']);
    assert.equal(facts.qmpStatus, 'running');
    assert.equal(facts.vncReachable, true);
    assert.equal(facts.accelerator, 'tcg', 'from QMP query-kvm');
    assert.equal(facts.bootMode, 'cold');
    assert.equal(facts.restarts, 0);
    assert.equal(facts.lastExit, null);
    assert.ok(
      Date.parse(facts.lastScreenChangeAt!) > Date.parse(facts.startedAt!),
      'a change after the start',
    );
    assert.equal((await getText(HEALTH_PORT, '/ready')).status, 200);
  },
);

test('VNC listens on the TCP address LOCO_VNC names', async () => {
  const greeting = await new Promise<string>((resolve, reject) => {
    const socket = net.createConnection(
      { host: '127.0.0.1', port: 5900 + VNC_DISPLAY },
      () => undefined,
    );
    socket.once('data', data => {
      socket.destroy();
      resolve(data.toString('latin1'));
    });
    socket.once('error', reject);
  });
  assert.match(greeting, /^RFB 003\.00\d\n/);
});

test(
  'a paused guest is degraded, still ready; QEMU that stops answering QMP is unhealthy (503: restart it)',
  { timeout: 200_000 },
  async () => {
    const qmp = await Qmp.connect(join(dir, 'qmp.sock'));
    await qmp.execute('stop');
    qmp.close(); // QMP serves one client at a time: let the health server back in
    const paused = await waitForHealth(
      vm!,
      HEALTH_PORT,
      'paused',
      r => r.body.state === 'degraded',
      30_000,
    );
    assert.deepEqual(paused.body.reasons, ['QEMU is paused']);
    assert.equal(paused.status, 200, 'a restart would not help a paused guest');
    assert.equal(
      (await getText(HEALTH_PORT, '/ready')).status,
      200,
      'degraded still serves viewers',
    );

    // Holding the only QMP connection makes QEMU unmeasurable; past the start-up
    // grace (90 s) that is "unhealthy" and liveness gets a 503.
    const holder = await Qmp.connect(join(dir, 'qmp.sock'), 20_000);
    try {
      await holder.execute('cont');
      const wedged = await waitForHealth(
        vm!,
        HEALTH_PORT,
        'unhealthy',
        r => r.body.state === 'unhealthy',
        150_000,
      );
      assert.deepEqual(wedged.body.reasons, ['emulator does not answer QMP']);
      assert.equal(wedged.status, 503);
      assert.equal((await getText(HEALTH_PORT, '/ready')).status, 503);
    } finally {
      holder.close();
    }
    await waitForHealth(
      vm!,
      HEALTH_PORT,
      'healthy again',
      r => r.body.state === 'healthy',
      60_000,
    );
  },
);

test('GET /metrics: Prometheus text with measured values', async () => {
  const { status, body } = await getText(HEALTH_PORT, '/metrics');
  assert.equal(status, 200);
  const value = (name: string) => {
    const line = body.split('\n').find(l => l.startsWith(`${name}{`));
    assert.ok(line, `${name} present`);
    assert.match(line, /environment="img-health",instance="0"/);
    return Number(line.split(' ').at(-1));
  };
  assert.equal(value('loco_emulator_up'), 1);
  assert.match(body, /loco_emulator_state\{[^}]*state="healthy"\} 1\n/);
  assert.match(body, /loco_emulator_state\{[^}]*state="unhealthy"\} 0\n/);
  assert.equal(value('loco_emulator_qmp_running'), 1);
  assert.equal(value('loco_emulator_vnc_reachable'), 1);
  assert.ok(
    value('loco_emulator_resident_memory_bytes') > 50e6,
    'QEMU with 128 MB guest RAM',
  );
  assert.ok(value('loco_emulator_cpu_seconds_total') > 0);
  assert.ok(
    Math.abs(value('loco_emulator_start_time_seconds') * 1000 - Date.now()) <
      3_600_000,
  );
  assert.match(body, /# TYPE loco_emulator_restarts_total counter/);
});

test(
  'SIGTERM saves the state (LOCO_SAVE_ON_STOP); the next start resumes from it and counts the restart',
  { timeout: 120_000 },
  async () => {
    vm!.process.kill('SIGTERM');
    assert.ok(await vm!.exitsWithin(60_000), 'entrypoint exited');
    assert.equal((await vm!.exited).code, 0);
    assert.match(
      await vm!.log(),
      /saved the running state as snapshot 'loco-stop'/,
    );
    const snapshots = run('qemu-img', [
      'snapshot',
      '-l',
      join(dir, 'disk.qcow2'),
    ]);
    assert.match(snapshots.stdout, /\bloco-stop\b/);

    vm = await startEntrypoint(dir, env());
    const resumed = await waitForHealth(
      vm,
      HEALTH_PORT,
      'the resumed guest',
      r => r.body.state === 'healthy',
      60_000,
    );
    assert.equal(resumed.body.facts.bootMode, 'snapshot');
    assert.equal(resumed.body.facts.restarts, 1);
    assert.equal(resumed.body.facts.lastExit?.code, 0);
    assert.equal(resumed.body.facts.lastExit?.signal, null);
  },
);

test(
  'a QEMU killed from outside: the entrypoint exits with its status and the next start reports it',
  { timeout: 120_000 },
  async () => {
    const status = parseStatus(await readFile(join(dir, 'status'), 'utf8'));
    process.kill(Number(status.qemu_pid), 'SIGKILL');
    assert.ok(await vm!.exitsWithin(15_000));
    assert.equal((await vm!.exited).code, 137);

    vm = await startEntrypoint(dir, env());
    const next = await waitForHealth(
      vm,
      HEALTH_PORT,
      'the next start',
      r => r.body.facts.processAlive,
      60_000,
    );
    assert.equal(next.body.facts.restarts, 2);
    assert.equal(next.body.facts.lastExit?.signal, 'SIGKILL');
    assert.equal(next.body.facts.lastExit?.code, null);
  },
);
