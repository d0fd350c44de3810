import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QmpClient } from './QmpClient';
import { spawnQemu, stopQemu } from './qemuProcess';

jest.setTimeout(60_000);

// A PC without a disk: the firmware looks for a boot device forever, and no
// operating system answers the ACPI power button, like a hung or DOS guest.
const firmwareOnly = (runDir: string) => [
  '-nodefaults',
  '-machine',
  'pc,accel=tcg',
  '-m',
  '32',
  '-display',
  'none',
  '-qmp',
  `unix:${path.join(runDir, 'qmp.sock')},server=on,wait=off`,
];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(
  what: string,
  check: () => boolean,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** QEMU's QMP, once QEMU has created its socket. */
async function qmpOf(runDir: string): Promise<QmpClient> {
  const socket = path.join(runDir, 'qmp.sock');
  await waitUntil('the QMP socket', () => fs.existsSync(socket));
  return QmpClient.connect(socket);
}

/** Records the QMP commands stopQemu sends, passing them on to QEMU. */
function recordingQmp(qmp: QmpClient): { qmp: QmpClient; sent: string[] } {
  const sent: string[] = [];
  const execute = qmp.execute.bind(qmp);
  qmp.execute = ((command: string, ...rest: any[]) => {
    sent.push(command);
    return execute(command, ...rest);
  }) as QmpClient['execute'];
  return { qmp, sent };
}

describe('stopping QEMU', () => {
  let runDir: string;
  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-stop-'));
  });
  afterEach(() => fs.rmSync(runDir, { recursive: true, force: true }));

  it('ends a guest that ignores the power button with QMP quit', async () => {
    const qemu = spawnQemu('qemu-system-x86_64', firmwareOnly(runDir), runDir);
    const { qmp, sent } = recordingQmp(await qmpOf(runDir));
    await stopQemu(qemu, qmp, 1000);
    const exit = await qemu.exited;
    expect(sent).toEqual(['system_powerdown', 'quit']);
    // `quit` ends QEMU cleanly; a kill would show as a signal.
    expect(exit).toMatchObject({ code: 0, signal: null });
    qmp.close();
  });

  it('kills a QEMU that answers nothing (its main loop stuck)', async () => {
    const qemu = spawnQemu('qemu-system-x86_64', firmwareOnly(runDir), runDir);
    const qmp = await qmpOf(runDir);
    qemu.child.kill('SIGSTOP'); // neither the power button nor quit get through
    await stopQemu(qemu, qmp, 500);
    expect(await qemu.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
    qmp.close();
  });

  it('dies with the backend when the backend is killed without cleaning up', async () => {
    const backend = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
        path.join(__dirname, '__testUtils__/backendThatSpawnsQemu.ts'),
        runDir,
        ...firmwareOnly(runDir),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const qemuPid = await new Promise<number>((resolve, reject) => {
      backend.stdout.once('data', d => resolve(Number(String(d).trim())));
      backend.once('exit', code => reject(new Error(`backend exited ${code}`)));
    });
    // The control: QEMU runs (its QMP socket answers) while the backend lives.
    (await qmpOf(runDir)).close();
    expect(alive(qemuPid)).toBe(true);
    backend.kill('SIGKILL');
    await waitUntil('QEMU to die with its backend', () => !alive(qemuPid));
  });
});
