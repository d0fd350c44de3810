import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConflictError } from '@backstage/errors';
import type { InstanceSupervisor } from './InstanceSupervisor';
import { lanEndpoint } from './lanAddress';
import { buildQemuArgs, multicastNetdev } from './qemuArgs';
import { spawnQemu } from './qemuProcess';
import { QmpClient } from './QmpClient';

const execFileAsync = promisify(execFile);

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Captures a running instance's current disk and RAM as one self-contained
 * qcow2 in `workDir` (returned), holding the RAM state as the internal
 * snapshot `ramSnapshot` (docs/snapshots.md). The instance's own disk
 * is never changed:
 * 1. the RAM goes to a file by QEMU migration; when it completes, QEMU has
 *    flushed and released the disk, so
 * 2. `qemu-img convert` reads a consistent disk and flattens it (overlay and
 *    base into one file); then the instance continues (`cont`);
 * 3. a twin QEMU with the instance's own launch arguments loads the RAM file
 *    (`-incoming`, kept paused by `-S`) on the flattened disk and saves it
 *    there with `savevm`, which is the only way to write an internal RAM
 *    snapshot into a qcow2.
 * The instance is paused from the end of the migration until `cont` (a
 * second or two for a small disk).
 */
export async function captureInstance(
  instance: InstanceSupervisor,
  qemuBinary: string,
  workDir: string,
  ramSnapshot: string,
): Promise<string> {
  // QEMU runs exec: migrations through /bin/sh: the path must be inert there.
  if (!/^[A-Za-z0-9._/-]+$/.test(workDir)) {
    throw new Error(
      `work directory ${workDir} has characters a shell would read`,
    );
  }
  const state = path.join(workDir, 'vmstate');
  const disk = path.join(workDir, 'disk.qcow2');
  const status = await instance.qmpExecute<{ status: string }>('query-status');
  if (status.status !== 'running') {
    throw new ConflictError(
      `${instance.name} is ${status.status}; only a running instance can be published`,
    );
  }
  await instance.qmpExecute('migrate', { uri: `exec:cat > ${state}` });
  try {
    for (;;) {
      const m = await instance.qmpExecute<{
        status?: string;
        'error-desc'?: string;
      }>('query-migrate');
      if (m.status === 'completed') break;
      if (m.status === 'failed' || m.status === 'cancelled') {
        throw new Error(
          `saving the RAM of ${instance.name} failed: ${
            m['error-desc'] ?? m.status
          }`,
        );
      }
      await sleep(100);
    }
    await execFileAsync('qemu-img', [
      'convert',
      '-U',
      '-O',
      'qcow2',
      instance.diskPath,
      disk,
    ]);
  } finally {
    await instance.qmpExecute('cont').catch(() => undefined);
  }
  await saveInTwin(instance, qemuBinary, disk, state, ramSnapshot);
  await fs.rm(state, { force: true });
  return disk;
}

async function saveInTwin(
  instance: InstanceSupervisor,
  qemuBinary: string,
  disk: string,
  state: string,
  ramSnapshot: string,
): Promise<void> {
  const launch = instance.launchSpec;
  // Sockets live in a short temp path (unix socket paths end at 108 bytes).
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'loco-twin-'));
  // Its own LAN group: the twin never runs, but must not share the
  // instance's wire (a pod's hub relay, the local multicast group). An
  // instance without a network card gets none: the RAM state must find the
  // same devices.
  const lan = lanEndpoint(`publish-${path.basename(runDir)}`);
  const qemu = spawnQemu(
    qemuBinary,
    buildQemuArgs({
      ...launch,
      name: `${launch.name}-publish`,
      diskPath: disk,
      runDir,
      vnc: undefined,
      accel: 'tcg',
      netdev: launch.netdev ? multicastNetdev(lan.group, lan.port) : '',
      extraArgs: [...launch.extraArgs, '-S', '-incoming', `exec:cat ${state}`],
    }),
    runDir,
  );
  try {
    const socket = path.join(runDir, 'qmp.sock');
    for (let i = 0; i < 200 && qemu.alive(); i++) {
      if (await fs.stat(socket).catch(() => null)) break;
      await sleep(50);
    }
    const qmp = await QmpClient.connect(socket).catch(error => {
      throw new Error(`${error.message}; QEMU said: ${qemu.stderrTail()}`);
    });
    try {
      for (;;) {
        const { status } = await qmp.execute<{ status: string }>(
          'query-status',
        );
        if (status === 'paused' || status === 'prelaunch') break;
        if (!qemu.alive()) throw new Error(`QEMU said: ${qemu.stderrTail()}`);
        await sleep(100);
      }
      const said = await qmp.execute<string>('human-monitor-command', {
        'command-line': `savevm ${ramSnapshot}`,
      });
      if (said.trim()) throw new Error(`savevm: ${said.trim()}`);
      await qmp.execute('quit').catch(() => undefined);
    } finally {
      qmp.close();
    }
    await qemu.exited;
  } finally {
    if (qemu.alive()) qemu.child.kill('SIGKILL');
    await qemu.exited;
    await fs.rm(runDir, { recursive: true, force: true });
  }
}
