import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExitRecord } from '@loco-portal/plugin-loco-common';
import type { QmpClient } from './QmpClient';
import { PID_FILE } from './staleRuns';

/** A running QEMU child process of the backend. */
export interface QemuProcess {
  child: ChildProcess;
  /** Resolves once QEMU has exited and its pid file is gone. */
  exited: Promise<ExitRecord>;
  /** The end of QEMU's stderr, for the log when it dies. */
  stderrTail(): string;
  alive(): boolean;
}

/**
 * Spawns QEMU (an argument array, never a shell string) so that it cannot
 * outlive the backend: setpriv's parent-death signal makes the kernel kill QEMU
 * if the backend dies without cleaning up, and a pid file in the run directory
 * lets the next backend start find what a crash left behind (see staleRuns).
 */
export function spawnQemu(
  qemuBinary: string,
  args: string[],
  runDir: string,
): QemuProcess {
  const child = spawn(
    'setpriv',
    ['--pdeathsig', 'KILL', '--', qemuBinary, ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const pidFile = path.join(runDir, PID_FILE);
  // setpriv execs QEMU in place, so the child's pid is QEMU's.
  const pidWritten = child.pid
    ? fs.writeFile(pidFile, String(child.pid)).catch(() => undefined)
    : Promise.resolve(undefined);
  let stderr = '';
  child.stderr?.on('data', d => {
    stderr = (stderr + d).slice(-2000);
  });
  const exited = new Promise<ExitRecord>(resolve => {
    child.once('exit', (code, signal) => {
      const record = { code, signal, at: new Date().toISOString() };
      void pidWritten
        .then(() => fs.rm(pidFile, { force: true }))
        .finally(() => resolve(record));
    });
  });
  return {
    child,
    exited,
    stderrTail: () => stderr.trim(),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/**
 * Ends a QEMU gracefully if it can: the ACPI power button (the guest shuts
 * down), then QMP `quit` after `powerdownTimeoutMs`, then SIGKILL. Resolves
 * once the process has exited.
 */
export async function stopQemu(
  qemu: QemuProcess,
  qmp: QmpClient | undefined,
  powerdownTimeoutMs: number,
): Promise<void> {
  const within = (ms: number) =>
    Promise.race([qemu.exited.then(() => true), delay(ms).then(() => false)]);
  await qmp?.execute('system_powerdown').catch(() => undefined);
  if (await within(powerdownTimeoutMs)) return;
  await qmp?.execute('quit').catch(() => undefined);
  if (await within(2000)) return;
  qemu.child.kill('SIGKILL');
  await qemu.exited;
}

/** A timer that never keeps the process alive on its own (stop races it against exit). */
function delay(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}
