import { spawn, ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  BootMode,
  ExitRecord,
  HealthFacts,
} from '@loco-portal/plugin-loco-common';
import { QmpClient } from './QmpClient';
import { buildQemuArgs, QemuLaunchSpec } from './qemuArgs';

export interface LocalInstanceOptions {
  launch: QemuLaunchSpec;
  qemuBinary: string;
  logger: LoggerService;
  /** Seconds between health probes. */
  probeIntervalMs?: number;
  /** Graceful stop: how long the guest gets to power off before `quit`. */
  powerdownTimeoutMs?: number;
}

const MAX_BACKOFF_MS = 30_000;
/** An instance that stayed up this long is considered recovered: backoff starts over. */
const STABLE_AFTER_MS = 60_000;

/**
 * One QEMU child process and everything measured about it. Restarts a crashed
 * QEMU with exponential backoff; the facts it collects feed the health state.
 */
export class LocalInstance {
  private child?: ChildProcess;
  private qmp?: QmpClient;
  private wanted = false;
  private restarts = 0;
  private consecutiveFailures = 0;
  private lastExit: ExitRecord | null = null;
  private startedAt: string | null = null;
  private qmpStatus: string | null = null;
  private vncReachable: boolean | null = null;
  private lastScreenHash: string | null = null;
  private lastScreenChangeAt: string | null = null;
  private probeTimer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private exited?: Promise<void>;

  constructor(private readonly options: LocalInstanceOptions) {}

  get name(): string {
    return this.options.launch.name;
  }

  get runDir(): string {
    return this.options.launch.runDir;
  }

  async start(): Promise<void> {
    this.wanted = true;
    await this.spawnQemu();
  }

  facts(): HealthFacts {
    return {
      processAlive: Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null),
      qmpStatus: this.child ? this.qmpStatus : null,
      vncReachable: this.child ? this.vncReachable : null,
      lastScreenChangeAt: this.child ? this.lastScreenChangeAt : null,
      startedAt: this.child ? this.startedAt : null,
      bootMode: this.bootMode(),
      accelerator: this.child ? this.options.launch.accel : null,
      restarts: this.restarts,
      lastExit: this.lastExit,
    };
  }

  get intendedRunning(): boolean {
    return this.wanted;
  }

  openVnc(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(path.join(this.runDir, 'vnc.sock'));
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  /** A PNG of the current screen, taken by QEMU itself. */
  async screenshot(): Promise<Buffer> {
    const qmp = this.requireQmp();
    const file = path.join(this.runDir, `shot-${process.hrtime.bigint()}.png`);
    try {
      await qmp.execute('screendump', { filename: file, format: 'png' });
      return await fs.readFile(file);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  /** Stops for good: ACPI power button, then `quit`, then SIGKILL. */
  async stop(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    clearInterval(this.probeTimer);
    const child = this.child;
    if (!child || !this.exited) return;
    const exited = this.exited;
    const within = (ms: number) =>
      Promise.race([exited.then(() => true), delay(ms).then(() => false)]);
    await this.qmp?.execute('system_powerdown').catch(() => undefined);
    if (await within(this.options.powerdownTimeoutMs ?? 5000)) return;
    await this.qmp?.execute('quit').catch(() => undefined);
    if (await within(2000)) return;
    child.kill('SIGKILL');
    await exited;
  }

  private bootMode(): BootMode | null {
    if (!this.child) return null;
    return this.options.launch.loadSnapshot ? 'snapshot' : 'cold';
  }

  private requireQmp(): QmpClient {
    if (!this.qmp || this.qmp.isClosed) {
      throw new Error(`${this.name} is not running`);
    }
    return this.qmp;
  }

  private async spawnQemu(): Promise<void> {
    const { launch, qemuBinary, logger } = this.options;
    await fs.mkdir(launch.runDir, { recursive: true });
    const args = buildQemuArgs(launch);
    // setpriv's parent-death signal makes the kernel kill QEMU if the backend
    // dies without cleaning up, so emulators never outlive the portal.
    const child = spawn(
      'setpriv',
      ['--pdeathsig', 'KILL', '--', qemuBinary, ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    this.startedAt = new Date().toISOString();
    this.qmpStatus = null;
    this.vncReachable = null;
    this.lastScreenHash = null;
    this.lastScreenChangeAt = null;
    let stderr = '';
    child.stderr?.on('data', d => {
      stderr = (stderr + d).slice(-2000);
    });
    this.exited = new Promise(resolve => {
      child.once('exit', (code, signal) => {
        this.lastExit = { code, signal, at: new Date().toISOString() };
        this.qmp?.close();
        this.qmp = undefined;
        if (this.wanted) {
          logger.warn(
            `${this.name}: QEMU exited (code ${code}, signal ${signal}) ${stderr.trim()}`,
          );
          this.scheduleRestart();
        }
        resolve();
      });
    });
    child.once('error', err => logger.error(`${this.name}: ${err.message}`));
    this.probeTimer = setInterval(
      () => void this.probe(),
      this.options.probeIntervalMs ?? 2000,
    );
    this.probeTimer.unref();
  }

  private scheduleRestart() {
    clearInterval(this.probeTimer);
    const uptime = this.startedAt ? Date.now() - Date.parse(this.startedAt) : 0;
    if (uptime > STABLE_AFTER_MS) this.consecutiveFailures = 0;
    const backoff = Math.min(1000 * 2 ** this.consecutiveFailures, MAX_BACKOFF_MS);
    this.consecutiveFailures += 1;
    this.restartTimer = setTimeout(() => {
      if (!this.wanted) return;
      this.restarts += 1;
      void this.spawnQemu();
    }, backoff);
    this.restartTimer.unref();
  }

  /** Measures run state, VNC reachability and whether the screen changes. */
  private async probe(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    try {
      if (!this.qmp || this.qmp.isClosed) {
        this.qmp = await QmpClient.connect(path.join(this.runDir, 'qmp.sock'));
      }
      const status = await this.qmp.execute<{ status: string }>('query-status');
      this.qmpStatus = status.status;
      const file = path.join(this.runDir, 'probe.ppm');
      await this.qmp.execute('screendump', { filename: file });
      const hash = createHash('sha1').update(await fs.readFile(file)).digest('hex');
      if (this.lastScreenHash !== null && hash !== this.lastScreenHash) {
        this.lastScreenChangeAt = new Date().toISOString();
      }
      this.lastScreenHash = hash;
    } catch {
      // Not answering yet (booting) or gone: leave the facts unknown.
    }
    this.vncReachable = await this.openVnc().then(
      socket => {
        socket.destroy();
        return true;
      },
      () => false,
    );
  }
}

function delay(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}
