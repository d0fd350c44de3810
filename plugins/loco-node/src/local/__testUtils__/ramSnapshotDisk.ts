import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { instanceMac, lanEndpoint } from '../lanAddress';
import { buildQemuArgs, multicastNetdev } from '../qemuArgs';
import { spawnQemu } from '../qemuProcess';
import { QmpClient } from '../QmpClient';

const execFileAsync = promisify(execFile);

/**
 * Makes what a snapshot publisher makes: a self-contained qcow2 copy of
 * `source` holding an internal RAM snapshot `name`, saved from a real QEMU
 * launched with the local runtime's own arguments (so an instance can
 * `-loadvm` it). The guest runs `runMs` before the save; it need not have
 * finished booting for the state to be a valid RAM snapshot.
 */
export async function makeRamSnapshotDisk(
  source: string,
  target: string,
  name: string,
  memoryMb = 128,
  runMs = 2_000,
): Promise<void> {
  await execFileAsync('qemu-img', ['convert', '-O', 'qcow2', source, target]);
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lsd-'));
  const lan = lanEndpoint('snapshot-maker');
  const qemu = spawnQemu(
    'qemu-system-x86_64',
    buildQemuArgs({
      environment: 'snapshot-maker',
      name: 'snapshot-maker-0',
      index: 0,
      count: 1,
      diskPath: target,
      runDir,
      memoryMb,
      vga: 'std',
      accel: 'tcg',
      sound: 'none',
      netdev: multicastNetdev(lan.group, lan.port),
      mac: instanceMac('snapshot-maker', 0),
      extraArgs: [],
    }),
    runDir,
  );
  try {
    const socket = path.join(runDir, 'qmp.sock');
    for (let i = 0; i < 200 && qemu.alive(); i++) {
      if (await fs.stat(socket).catch(() => null)) break;
      await new Promise(r => setTimeout(r, 50));
    }
    const qmp = await QmpClient.connect(socket).catch(error => {
      throw new Error(`${error.message}; QEMU said: ${qemu.stderrTail()}`);
    });
    await new Promise(r => setTimeout(r, runMs));
    const out = await qmp.execute<string>('human-monitor-command', {
      'command-line': `savevm ${name}`,
    });
    if (out.trim()) throw new Error(`savevm said: ${out}`);
    await qmp.execute('quit').catch(() => undefined);
    await qemu.exited;
  } finally {
    qemu.child.kill('SIGKILL');
    await qemu.exited;
    await fs.rm(runDir, { recursive: true, force: true });
  }
}
