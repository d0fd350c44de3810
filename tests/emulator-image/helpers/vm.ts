// Running the demo disk in real QEMU for the tests: build the disk, take the
// production command line (buildQemuArgs, which the local runtime and the
// image's agent both run), start it, watch the screen.
import {
  spawn,
  spawnSync,
  type ChildProcess,
  type SpawnSyncReturns,
} from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { importBundled } from './bundle.ts';
import { Qmp } from './qmp.ts';
import { readTextScreen } from './screen.ts';

const { buildQemuArgs, instanceMac, lanEndpoint, multicastNetdev } =
  await importBundled<typeof import('./qemuLaunch.entry.ts')>(
    join(import.meta.dirname, 'qemuLaunch.entry.ts'),
  );

export const REPO = resolve(import.meta.dirname, '../../..');
export const BUILD_SCRIPT = join(REPO, 'emulator-image/demo-disk/build.sh');

/** Runs a program to completion (argument array, never a shell string). */
export function run(
  program: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): SpawnSyncReturns<string> {
  return spawnSync(program, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
    input,
  });
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export function removeDir(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

/** Builds the demo base disk with the real build script (downloads are cached). */
export function buildDemoDisk(output: string): {
  seconds: number;
  stdout: string;
  stderr: string;
} {
  const started = Date.now();
  const result = run('bash', [BUILD_SCRIPT, output]);
  if (result.status !== 0) {
    throw new Error(`build.sh failed (${result.status}):\n${result.stderr}`);
  }
  return {
    seconds: (Date.now() - started) / 1000,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** A per-instance qcow2 overlay, so instances never write (or lock) the base disk. */
export function createOverlay(base: string, file: string): void {
  const result = run('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    '-b',
    base,
    '-F',
    'qcow2',
    file,
  ]);
  if (result.status !== 0) throw new Error(`qemu-img create: ${result.stderr}`);
}

/** The QEMU command line (program first) of one demo instance on its environment's LAN. */
export function qemuCommandLine(instance: {
  environment: string;
  name?: string;
  index: number;
  count: number;
  diskPath: string;
  runDir: string;
}): string[] {
  const lan = lanEndpoint(instance.environment);
  return [
    'qemu-system-x86_64',
    ...buildQemuArgs({
      name: `${instance.environment}-${instance.index}`,
      ...instance,
      memoryMb: 128,
      vga: 'std',
      accel: 'tcg',
      netdev: multicastNetdev(lan.group, lan.port),
      mac: instanceMac(instance.environment, instance.index),
      extraArgs: [],
    }),
  ];
}

/** A running QEMU. */
export class Vm {
  readonly process: ChildProcess;
  readonly runDir: string;
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  qmp?: Qmp;
  private readonly logFile: string;

  private constructor(child: ChildProcess, runDir: string, logFile: string) {
    this.process = child;
    this.runDir = runDir;
    this.logFile = logFile;
    this.exited = new Promise(resolve =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts argv (program first) and connects to QMP at runDir/qmp.sock. */
  static async start(
    argv: string[],
    runDir: string,
    env: Record<string, string | undefined> = {},
  ): Promise<Vm> {
    const vm = await Vm.startNoQmp(argv, runDir, env);
    vm.qmp = await Qmp.connect(join(runDir, 'qmp.sock'), 20_000);
    return vm;
  }

  /** Starts argv without connecting to QMP (output goes to runDir/output.log). */
  static async startNoQmp(
    argv: string[],
    runDir: string,
    env: Record<string, string | undefined> = {},
  ): Promise<Vm> {
    const logFile = join(runDir, 'output.log');
    const log = await open(logFile, 'w');
    // Own process group, so cleanup reaches everything it started.
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, ...env },
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
    });
    await log.close();
    return new Vm(child, runDir, logFile);
  }

  screen(): Promise<string[]> {
    if (!this.qmp) throw new Error('no QMP connection');
    return readTextScreen(this.qmp, this.runDir);
  }

  /** Polls the text screen until `ready` accepts it; fails with the last screen. */
  async waitForScreen(
    what: string,
    ready: (rows: string[]) => boolean,
    timeoutMs: number,
  ): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(
          `emulator exited while waiting for ${what}:\n${await this.log()}`,
        );
      }
      rows = await this.screen();
      if (ready(rows)) return rows;
      await sleep(500);
    }
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${rows.join(
        '\n',
      )}`,
    );
  }

  /** Resolves true if the process exits within timeoutMs. */
  exitsWithin(timeoutMs: number): Promise<boolean> {
    return new Promise(resolve => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /** Cleanup: kills the whole process group if anything is still running. */
  async kill(): Promise<void> {
    this.qmp?.close();
    const pid = this.process.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.exitsWithin(5_000);
  }
}
