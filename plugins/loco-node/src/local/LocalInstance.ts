import { spawn, ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import type { BootMode, ExitRecord, HealthFacts } from '@loco-portal/plugin-loco-common';
import { BootLimiter } from './BootLimiter';
import { BootWatch, kvmVerdict } from './bootWatch';
import { diskInfo } from './diskImages';
import { readProcStat } from './procStat';
import { QmpClient } from './QmpClient';
import { buildQemuArgs, QemuLaunchSpec } from './qemuArgs';
import { PID_FILE } from './staleRuns';

/** Shared by every instance of one runtime. */
export interface InstanceContext {
  qemuBinary: string;
  logger: LoggerService;
  coldBoots: BootLimiter;
  /** The accelerator asked for, and why KVM was given up (once for the whole host). */
  accel: { requested: 'tcg' | 'kvm'; kvmFailure: string | null };
}

export interface LocalInstanceOptions {
  launch: Omit<QemuLaunchSpec, 'accel' | 'loadSnapshot'>;
  context: InstanceContext;
  /** The environment's snapshot: reset returns to it, starts resume from it. */
  bootSnapshot: string;
  /** Save `bootSnapshot` after the first cold boot (false when the image brings its own). */
  autoSaveBootSnapshot: boolean;
  /** False when the instance has a disk QEMU cannot snapshot (hybrid's shared vvfat disk). */
  snapshotsPossible: boolean;
  /** Between probes of a running, settled instance (default 5 s; 1 s while starting). */
  probeIntervalMs?: number;
  /** Graceful stop: how long the guest gets to power off before `quit`. */
  powerdownTimeoutMs?: number;
  /** How long a KVM guest may show an unchanged screen before we give KVM up. */
  kvmTimeoutMs?: number;
}

/** The user's own save point; starts prefer it over the boot snapshot. */
export const SAVED_SNAPSHOT = 'loco-saved';
const MAX_BACKOFF_MS = 30_000;
/** An instance that stayed up this long is considered recovered: backoff starts over. */
const STABLE_AFTER_MS = 60_000;
/**
 * A boot that has not settled by then is snapshotted anyway (a start from a
 * mid-boot snapshot finishes the boot, still sooner than a cold one) and gives
 * its cold-boot slot back, so a starved host cannot block the queue for long.
 */
const MAX_BOOT_WATCH_MS = 60_000;
const MAX_SLOT_MS = 90_000;

/**
 * One QEMU child process and everything measured about it: cold boots wait for
 * a slot, the first settled boot is saved as a RAM snapshot that later starts
 * resume from, a crashed QEMU restarts with exponential backoff, and a KVM guest
 * that does not run falls back to TCG.
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
  private slotTimer?: NodeJS.Timeout;
  private exited?: Promise<void>;
  private waitingForSlot?: AbortController;
  private releaseSlot?: () => void;
  private bootWatch?: BootWatch;
  private probing = false;
  private accelInUse: 'tcg' | 'kvm' | null = null;
  private kvmVerified = false;
  private resumedFrom: string | null = null;
  private brokenSnapshot = false;
  private expectedExit = false;

  constructor(private readonly options: LocalInstanceOptions) {}

  get name(): string {
    return this.options.launch.name;
  }

  get runDir(): string {
    return this.options.launch.runDir;
  }

  get diskPath(): string {
    return this.options.launch.diskPath;
  }

  /** The QEMU process id while one runs. */
  get pid(): number | undefined {
    return this.isAlive() ? this.child!.pid : undefined;
  }

  get intendedRunning(): boolean {
    return this.wanted;
  }

  /** Starts the instance; resolves once QEMU is spawned (or queued for a cold-boot slot). */
  async start(): Promise<void> {
    this.wanted = true;
    await new Promise<void>(resolve => {
      void this.launch(resolve).finally(resolve);
    });
  }

  facts(): HealthFacts {
    const alive = this.isAlive();
    return {
      processAlive: alive,
      qmpStatus: alive ? this.qmpStatus : null,
      vncReachable: alive ? this.vncReachable : null,
      lastScreenChangeAt: alive ? this.lastScreenChangeAt : null,
      startedAt: alive ? this.startedAt : null,
      bootMode: this.bootMode(),
      accelerator: alive ? this.accelInUse : null,
      restarts: this.restarts,
      lastExit: this.lastExit,
    };
  }

  /** Things health should say that the facts cannot: queueing, accelerator fallback. */
  notes(): { waiting?: string; notes: string[] } {
    const notes: string[] = [];
    const { accel } = this.options.context;
    if (accel.requested === 'kvm' && this.accelInUse === 'tcg' && accel.kvmFailure) {
      notes.push(`KVM requested but unusable here (${accel.kvmFailure}); running on TCG`);
    }
    return {
      waiting: this.waitingForSlot ? 'waiting for a cold-boot slot' : undefined,
      notes,
    };
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
    const file = path.join(this.runDir, `shot-${process.hrtime.bigint()}.png`);
    try {
      await this.qmpExecute('screendump', { filename: file, format: 'png' });
      return await fs.readFile(file);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  /** Runs a QMP command on the instance's own connection (QEMU serves one QMP client). */
  qmpExecute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (!this.qmp || this.qmp.isClosed) {
      return Promise.reject(new ConflictError(`${this.name} is not running (or not answering yet)`));
    }
    return this.qmp.execute<T>(command, args, timeoutMs);
  }

  /** Saves the running state as the user's save point; later starts resume from it. */
  async save(): Promise<void> {
    if (!this.options.snapshotsPossible) {
      throw new ConflictError(`${this.name} cannot be snapshotted: QEMU refuses savevm with a shared read-write folder (hybrid)`);
    }
    await this.monitor(`savevm ${SAVED_SNAPSHOT}`);
  }

  /** Back to the environment's snapshot; without one, a hardware reset (cold reboot). */
  async reset(): Promise<void> {
    if (this.options.snapshotsPossible) {
      const disk = await diskInfo(this.diskPath).catch(() => null);
      if (disk?.snapshots.includes(this.options.bootSnapshot)) {
        await this.monitor(`loadvm ${this.options.bootSnapshot}`);
        return;
      }
    }
    await this.qmpExecute('system_reset');
  }

  /** Stops for good: ACPI power button, then `quit`, then SIGKILL. */
  async stop(): Promise<void> {
    this.wanted = false;
    this.waitingForSlot?.abort();
    clearTimeout(this.restartTimer);
    clearTimeout(this.probeTimer);
    const child = this.child;
    if (!child || !this.exited || !this.isAlive()) return;
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

  private isAlive(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  private bootMode(): BootMode | null {
    if (!this.isAlive()) return null;
    return this.resumedFrom ? 'snapshot' : 'cold';
  }

  private async monitor(commandLine: string): Promise<string> {
    // savevm/loadvm move ~100 MB of RAM state: far slower than ordinary commands.
    const out = await this.qmpExecute<string>('human-monitor-command', { 'command-line': commandLine }, 120_000);
    if (/^Error/m.test(out)) throw new ConflictError(`${this.name}: ${commandLine}: ${out.trim()}`);
    return out;
  }

  /** The snapshot the next start resumes from, if the disk holds one. */
  private async pickSnapshot(): Promise<string | undefined> {
    if (!this.options.snapshotsPossible || this.brokenSnapshot) return undefined;
    const disk = await diskInfo(this.diskPath).catch(() => null);
    return [SAVED_SNAPSHOT, this.options.bootSnapshot].find(s => disk?.snapshots.includes(s));
  }

  /** `onQueued` is called when the launch has to wait for a cold-boot slot. */
  private async launch(onQueued?: () => void): Promise<void> {
    if (!this.wanted) return;
    const snapshot = await this.pickSnapshot();
    let release: (() => void) | undefined;
    if (!snapshot) {
      const { coldBoots } = this.options.context;
      if (coldBoots.running >= coldBoots.limit) onQueued?.();
      const waiting = new AbortController();
      this.waitingForSlot = waiting;
      try {
        release = await this.options.context.coldBoots.acquire(waiting.signal);
      } catch {
        return; // stopped while queued
      } finally {
        this.waitingForSlot = undefined;
      }
      if (!this.wanted) {
        release();
        return;
      }
    }
    this.spawnQemu(snapshot, release);
  }

  private spawnQemu(snapshot: string | undefined, release: (() => void) | undefined): void {
    const { launch, context } = this.options;
    const { logger, accel } = context;
    this.accelInUse = accel.requested === 'kvm' && !accel.kvmFailure ? 'kvm' : 'tcg';
    this.kvmVerified = false;
    this.resumedFrom = snapshot ?? null;
    const args = buildQemuArgs({ ...launch, accel: this.accelInUse, loadSnapshot: snapshot });
    // setpriv's parent-death signal makes the kernel kill QEMU if the backend
    // dies without cleaning up, so emulators never outlive the portal.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', context.qemuBinary, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    const pidFile = path.join(launch.runDir, PID_FILE);
    // setpriv execs QEMU in place, so the child's pid is QEMU's.
    if (child.pid) void fs.writeFile(pidFile, String(child.pid)).catch(() => undefined);
    this.releaseSlot = release;
    clearTimeout(this.slotTimer);
    if (release) {
      this.slotTimer = setTimeout(() => this.giveSlotBack(), MAX_SLOT_MS);
      this.slotTimer.unref();
    }
    this.bootWatch = snapshot ? undefined : new BootWatch();
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
        clearTimeout(this.probeTimer);
        this.giveSlotBack();
        void fs.rm(pidFile, { force: true });
        this.qmp?.close();
        this.qmp = undefined;
        const uptime = Date.now() - Date.parse(this.startedAt!);
        if (this.expectedExit) {
          this.expectedExit = false;
          if (this.wanted) void this.launch();
        } else if (this.wanted) {
          logger.warn(`${this.name}: QEMU exited (code ${code}, signal ${signal}) ${stderr.trim()}`);
          if (snapshot && code !== 0 && !signal && uptime < 15_000) {
            // A snapshot QEMU cannot load (other devices, other QEMU) would fail forever.
            logger.warn(`${this.name}: snapshot ${snapshot} did not load; next start is a cold boot`);
            this.brokenSnapshot = true;
          }
          this.scheduleRestart();
        }
        resolve();
      });
    });
    child.once('error', err => logger.error(`${this.name}: ${err.message}`));
    this.scheduleProbe(child);
  }

  /**
   * Probes every second while the instance starts (boot watch, KVM check, first
   * screen change), then every `probeIntervalMs`: each probe costs QEMU a
   * screendump and a VNC handshake, which adds up over nine idle instances.
   */
  private scheduleProbe(child: ChildProcess) {
    const starting =
      this.bootWatch !== undefined ||
      (this.accelInUse === 'kvm' && !this.kvmVerified) ||
      this.lastScreenChangeAt === null;
    this.probeTimer = setTimeout(async () => {
      await this.probe();
      if (child === this.child && this.isAlive() && this.wanted) this.scheduleProbe(child);
    }, starting ? 1000 : this.options.probeIntervalMs ?? 5000);
    this.probeTimer.unref();
  }

  private giveSlotBack() {
    clearTimeout(this.slotTimer);
    this.releaseSlot?.();
    this.releaseSlot = undefined;
  }

  private scheduleRestart() {
    const uptime = this.startedAt ? Date.now() - Date.parse(this.startedAt) : 0;
    if (uptime > STABLE_AFTER_MS) this.consecutiveFailures = 0;
    const backoff = Math.min(1000 * 2 ** this.consecutiveFailures, MAX_BACKOFF_MS);
    this.consecutiveFailures += 1;
    this.restartTimer = setTimeout(() => {
      if (!this.wanted) return;
      this.restarts += 1;
      void this.launch();
    }, backoff);
    this.restartTimer.unref();
  }

  /** Measures run state, VNC reachability, screen changes and CPU; drives boot snapshots and the KVM check. */
  private async probe(): Promise<void> {
    if (this.probing || !this.isAlive()) return;
    this.probing = true;
    const child = this.child!;
    try {
      let hash: string | null = null;
      try {
        if (!this.qmp || this.qmp.isClosed) {
          this.qmp = await QmpClient.connect(path.join(this.runDir, 'qmp.sock'));
        }
        const status = await this.qmp.execute<{ status: string }>('query-status');
        this.qmpStatus = status.status;
        const file = path.join(this.runDir, 'probe.ppm');
        await this.qmp.execute('screendump', { filename: file });
        hash = createHash('sha1').update(await fs.readFile(file)).digest('hex');
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
      if (child !== this.child || !this.isAlive()) return;
      if (this.accelInUse === 'kvm' && !this.kvmVerified) {
        const verdict = kvmVerdict(
          {
            qmpStatus: this.qmpStatus,
            screenChanged: this.lastScreenChangeAt !== null,
            sinceStartMs: Date.now() - Date.parse(this.startedAt!),
          },
          this.options.kvmTimeoutMs ?? 15_000,
        );
        if (verdict === 'ok') this.kvmVerified = true;
        else if (verdict !== 'wait') {
          this.fallBackToTcg(verdict.fallback);
          return;
        }
      }
      if (this.bootWatch) {
        const stat = child.pid ? await readProcStat(child.pid) : null;
        this.bootWatch.add({ at: Date.now(), screenHash: hash, cpuTicks: stat?.cpuTicks ?? null });
        const overdue = Date.now() - Date.parse(this.startedAt!) > MAX_BOOT_WATCH_MS && this.bootWatch.screenChanged;
        const settled = this.bootWatch.settled();
        if ((settled || overdue) && (this.accelInUse === 'tcg' || this.kvmVerified)) {
          this.bootWatch = undefined;
          await this.onBooted(settled);
        }
      }
    } finally {
      this.probing = false;
    }
  }

  private async onBooted(settled: boolean): Promise<void> {
    const { logger } = this.options.context;
    const seconds = `${((Date.now() - Date.parse(this.startedAt!)) / 1000).toFixed(1)} s${
      settled ? '' : ' (never looked settled; snapshot taken anyway)'
    }`;
    try {
      if (this.options.snapshotsPossible && this.options.autoSaveBootSnapshot) {
        await this.monitor(`savevm ${this.options.bootSnapshot}`);
        this.brokenSnapshot = false;
        logger.info(`${this.name}: booted in ${seconds}; saved snapshot ${this.options.bootSnapshot}`);
      } else {
        logger.info(`${this.name}: booted in ${seconds}`);
      }
    } catch (error) {
      logger.warn(`${this.name}: could not save the boot snapshot: ${String(error)}`);
    } finally {
      this.giveSlotBack();
    }
  }

  private fallBackToTcg(reason: string) {
    const { accel, logger } = this.options.context;
    accel.kvmFailure ??= reason;
    logger.warn(`${this.name}: ${reason}; falling back to TCG (set loco.local.accel: tcg to skip the attempt)`);
    this.expectedExit = true;
    this.child?.kill('SIGKILL');
  }
}

/** A timer that never keeps the process alive on its own (stop() races it against exit). */
function delay(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}
