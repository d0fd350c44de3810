// Test oracle: whether this host can run the demo guest under KVM, measured
// with QEMU directly (spawned here, spoken to over its own QMP socket), never
// through the runtime whose KVM fallback a test checks. What "runs" means is
// the project's spec (docs/architecture.md, machine-facts): QEMU starts, the
// guest does not stop in `internal-error`, and its screen changes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A minimal QMP client: one command at a time, events skipped. */
async function qmp(socketPath: string) {
  const socket = net.createConnection(socketPath);
  await new Promise<void>((resolve, reject) =>
    socket.once('connect', resolve).once('error', reject),
  );
  let buffered = '';
  const replies: Array<(reply: any) => void> = [];
  socket.on('data', chunk => {
    buffered += chunk;
    for (;;) {
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const message = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if ('return' in message || 'error' in message) replies.shift()?.(message);
    }
  });
  // QEMU gone: every waiting command gets an error, none waits forever.
  socket.once('close', () =>
    replies.splice(0).forEach(reply => reply({ error: 'QMP closed' })),
  );
  const execute = (command: string, args?: object) =>
    new Promise<any>(resolve => {
      replies.push(resolve);
      socket.write(
        `${JSON.stringify({ execute: command, arguments: args })}\n`,
      );
    });
  await execute('qmp_capabilities');
  return { execute, close: () => socket.destroy() };
}

/** Whether the guest on `disk` runs under KVM here (about 5 s). */
export async function hostRunsKvmGuest(disk: string): Promise<boolean> {
  // QEMU cannot even start with -accel kvm without the device.
  if (!fs.existsSync('/dev/kvm')) return false;
  return guestRuns(disk, 'kvm');
}

/** Whether the guest starts, keeps running and changes its screen on `accel`. */
export async function guestRuns(
  disk: string,
  accel: 'kvm' | 'tcg',
): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-oracle-'));
  const socketPath = path.join(dir, 'qmp.sock');
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-accel',
      accel,
      '-m',
      '128',
      '-display',
      'none',
      '-nodefaults',
      '-vga',
      'std',
      '-drive',
      `file=${disk},if=ide,snapshot=on`,
      '-qmp',
      `unix:${socketPath},server=on,wait=off`,
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  qemu.once('exit', () => (exited = true));
  try {
    for (let i = 0; i < 50 && !fs.existsSync(socketPath); i++) {
      if (exited) return false;
      await sleep(100);
    }
    const client = await qmp(socketPath);
    try {
      // The VGA text buffer at 0xb8000: the demo guest writes its boot
      // messages and status line there.
      const textHash = async (n: number) => {
        const file = path.join(dir, `text-${n}.bin`);
        await client.execute('pmemsave', {
          val: 0xb8000,
          size: 4000,
          filename: file,
        });
        return createHash('sha1').update(fs.readFileSync(file)).digest('hex');
      };
      await sleep(1000);
      const before = await textHash(1);
      await sleep(3000);
      const status = (await client.execute('query-status')).return?.status;
      const after = await textHash(2);
      return !exited && status === 'running' && before !== after;
    } finally {
      client.close();
    }
  } catch {
    return false;
  } finally {
    qemu.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
