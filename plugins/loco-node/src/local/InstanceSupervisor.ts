import net from 'node:net';
import type {
  ActionRecord,
  BootMode,
  ExitRecord,
  HealthFacts,
} from '@loco-portal/plugin-loco-common';
import { afterExit } from './afterExit';
import { ColdBootSlot } from './coldBootSlot';
import { connectVnc, InstanceProbe } from './instanceProbe';
import { InstanceControls } from './instanceControls';
import { readProcStat, readRunQueueWaitNs } from './procStat';
import { buildQemuArgs, vncEndpoint } from './qemuArgs';
import type { SupervisorOptions } from './supervisorOptions';
import { QemuProcess, spawnQemu, stopQemu } from './qemuProcess';
import { RestartBackoff } from './restartBackoff';
import { StartupCheck } from './startupCheck';

/** A cold boot gives its slot back after this long whatever happens (see startupCheck). */
const MAX_SLOT_MS = 90_000;

/**
 * One QEMU child process and everything measured about it: cold boots wait for
 * a slot, the first settled boot is saved as a RAM snapshot that later starts
 * resume from, a crashed QEMU restarts with exponential backoff, and a KVM guest
 * that does not run falls back to TCG.
 */
export class InstanceSupervisor {
  private qemu?: QemuProcess;
  private readonly probe: InstanceProbe;
  /** Save, reset, screenshots and raw QMP commands (the API's instance actions). */
  readonly controls: InstanceControls;
  private startup?: StartupCheck;
  private wanted = false;
  private restarts = 0;
  private readonly backoff = new RestartBackoff();
  private lastExit: ExitRecord | null = null;
  private lastAction: ActionRecord | null = null;
  /** The exit under way is a user's restart (recorded as requested). */
  private restartRequested = false;
  private startedAt: string | null = null;
  private probeTimer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private exited?: Promise<void>;
  private readonly coldBootSlot: ColdBootSlot;
  private probing = false;
  private accelInUse: 'tcg' | 'kvm' | null = null;
  private resumedFrom: string | null = null;
  private brokenSnapshot = false;
  private expectedExit = false;

  constructor(private readonly options: SupervisorOptions) {
    const { launch } = options;
    this.probe = new InstanceProbe(launch.runDir, vncEndpoint(launch));
    this.coldBootSlot = new ColdBootSlot(
      options.context.coldBoots,
      MAX_SLOT_MS,
    );
    this.controls = new InstanceControls({
      name: launch.name,
      diskPath: launch.diskPath,
      runDir: launch.runDir,
      bootSnapshot: options.bootSnapshot,
      snapshotsPossible: options.snapshotsPossible,
      qmp: () => this.probe.qmp,
    });
  }

  get name(): string {
    return this.options.launch.name;
  }

  get runDir(): string {
    return this.options.launch.runDir;
  }

  get diskPath(): string {
    return this.options.launch.diskPath;
  }

  /** How QEMU is launched (a snapshot publisher starts a twin of it). */
  get launchSpec(): SupervisorOptions['launch'] {
    return this.options.launch;
  }

  /** The QEMU process id while one runs. */
  get pid(): number | undefined {
    return this.isAlive() ? this.qemu!.child.pid : undefined;
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
    const { probe } = this;
    return {
      processAlive: alive,
      qmpStatus: alive ? probe.qmpStatus : null,
      vncReachable: alive ? probe.vncReachable : null,
      lastScreenChangeAt: alive ? probe.lastScreenChangeAt : null,
      startedAt: alive ? this.startedAt : null,
      bootMode: this.bootMode(),
      accelerator: alive ? this.accelInUse : null,
      restarts: this.restarts,
      lastExit: this.lastExit,
      lastAction: this.lastAction,
    };
  }

  /** Things health should say that the facts cannot: queueing, accelerator fallback. */
  notes(): { waiting?: string; notes: string[] } {
    const notes: string[] = [];
    const { accel } = this.options.context;
    if (
      accel.requested === 'kvm' &&
      this.accelInUse === 'tcg' &&
      accel.kvmFailure
    ) {
      notes.push(
        `KVM requested but unusable here (${accel.kvmFailure}); running on TCG`,
      );
    }
    return {
      waiting: this.coldBootSlot.isWaiting
        ? 'waiting for a cold-boot slot'
        : undefined,
      notes,
    };
  }

  openVnc(onread?: net.OnReadOpts): Promise<net.Socket> {
    return connectVnc(vncEndpoint(this.options.launch), onread);
  }

  /** Runs a QMP command on the instance's own connection (QEMU serves one QMP client). */
  qmpExecute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T> {
    return this.controls.execute<T>(command, args, timeoutMs);
  }

  /**
   * A user's restart: its exit is recorded as requested, so the tile does not
   * read it as a crash ("exited (code 0)").
   */
  async restart(): Promise<void> {
    this.restartRequested = true;
    try {
      await this.stop();
    } finally {
      this.restartRequested = false;
    }
    await this.start();
    this.noteAction('restart');
  }

  /** Records an action a user ran, so captions can say what happened last. */
  noteAction(action: string): void {
    this.lastAction = { action, at: new Date().toISOString() };
  }

  /** Stops for good: ACPI power button, then `quit`, then SIGKILL. */
  async stop(): Promise<void> {
    this.wanted = false;
    this.coldBootSlot.cancelWait();
    clearTimeout(this.restartTimer);
    clearTimeout(this.probeTimer);
    const qemu = this.qemu;
    if (!qemu || !this.exited || !this.isAlive()) return;
    await stopQemu(
      qemu,
      this.probe.qmp,
      this.options.powerdownTimeoutMs ?? 5000,
    );
    await this.exited;
  }

  private isAlive(): boolean {
    return Boolean(this.qemu?.alive());
  }

  private bootMode(): BootMode | null {
    if (!this.isAlive()) return null;
    return this.resumedFrom ? 'snapshot' : 'cold';
  }

  /** `onQueued` is called when the launch has to wait for a cold-boot slot. */
  private async launch(onQueued?: () => void): Promise<void> {
    if (!this.wanted) return;
    // A snapshot QEMU could not load is not tried again: cold boot instead.
    const snapshot = this.brokenSnapshot
      ? undefined
      : await this.controls.resumePoint();
    if (!snapshot) {
      if (!(await this.coldBootSlot.take(onQueued))) return; // stopped while queued
      if (!this.wanted) {
        this.coldBootSlot.giveBack();
        return;
      }
    }
    this.spawnQemu(snapshot);
  }

  private spawnQemu(snapshot: string | undefined): void {
    const { launch, context } = this.options;
    const { logger, accel } = context;
    this.accelInUse =
      accel.requested === 'kvm' && !accel.kvmFailure ? 'kvm' : 'tcg';
    this.resumedFrom = snapshot ?? null;
    const args = buildQemuArgs({
      ...launch,
      accel: this.accelInUse,
      loadSnapshot: snapshot,
    });
    const qemu = spawnQemu(context.qemuBinary, args, launch.runDir);
    this.qemu = qemu;
    this.startedAt = new Date().toISOString();
    this.startup = new StartupCheck({
      accel: this.accelInUse,
      coldBoot: !snapshot,
      startedAt: Date.now(),
      kvmTimeoutMs: this.options.kvmTimeoutMs ?? 15_000,
    });
    this.probe.reset();
    this.exited = qemu.exited.then(exit => {
      this.lastExit = this.restartRequested
        ? { ...exit, requested: true }
        : exit;
      clearTimeout(this.probeTimer);
      this.coldBootSlot.giveBack();
      this.probe.close();
      const next = afterExit({
        wanted: this.wanted,
        expected: this.expectedExit,
        resumedFrom: this.resumedFrom,
        exit,
        uptimeMs: Date.now() - Date.parse(this.startedAt!),
        kvmUnproven:
          this.accelInUse === 'kvm' && !(this.startup?.kvmProven ?? false),
      });
      this.expectedExit = false;
      if (next === 'fall-back-to-tcg') {
        this.noteKvmUnusable(`QEMU exited at start: ${qemu.stderrTail()}`);
        void this.launch();
        return;
      }
      if (next === 'relaunch') void this.launch();
      if (next !== 'restart' && next !== 'restart-cold') return;
      logger.warn(
        `${this.name}: QEMU exited (code ${exit.code}, signal ${
          exit.signal
        }) ${qemu.stderrTail()}`,
      );
      if (next === 'restart-cold') {
        logger.warn(
          `${this.name}: snapshot ${snapshot} did not load; next start is a cold boot`,
        );
        this.brokenSnapshot = true;
      }
      this.scheduleRestart();
    });
    qemu.child.once('error', err =>
      logger.error(`${this.name}: ${err.message}`),
    );
    this.scheduleProbe(qemu);
  }

  /**
   * Probes every second while the instance starts (boot watch, KVM check, first
   * screen change), then every `probeIntervalMs`: each probe costs QEMU a
   * screendump and a VNC handshake, which adds up over nine idle instances.
   */
  private scheduleProbe(qemu: QemuProcess) {
    const starting = this.startup?.starting ?? false;
    this.probeTimer = setTimeout(
      async () => {
        await this.runProbe();
        if (qemu === this.qemu && this.isAlive() && this.wanted)
          this.scheduleProbe(qemu);
      },
      starting ? 1000 : this.options.probeIntervalMs ?? 5000,
    );
    this.probeTimer.unref();
  }

  private scheduleRestart() {
    const uptime = this.startedAt ? Date.now() - Date.parse(this.startedAt) : 0;
    this.restartTimer = setTimeout(() => {
      if (!this.wanted) return;
      this.restarts += 1;
      void this.launch();
    }, this.backoff.next(uptime));
    this.restartTimer.unref();
  }

  /** Measures the facts, then lets the startup check drive boot snapshots and the KVM fallback. */
  private async runProbe(): Promise<void> {
    if (this.probing || !this.isAlive()) return;
    this.probing = true;
    const qemu = this.qemu!;
    try {
      const screenHash = await this.probe.measure();
      if (
        qemu === this.qemu &&
        this.accelInUse === 'kvm' &&
        this.probe.qmpStatus === 'internal-error'
      ) {
        // Some nested KVM hosts run a guest for a while, then stop it for
        // good (measured here: within a minute). Not only at start.
        this.fallBackToTcg('guest hit internal-error under KVM');
        return;
      }
      const startup = this.startup;
      if (qemu !== this.qemu || !this.isAlive() || !startup?.starting) return;
      const pid = qemu.child.pid;
      const step = startup.next({
        at: Date.now(),
        qmpStatus: this.probe.qmpStatus,
        screenHash,
        screenChanged: this.probe.lastScreenChangeAt !== null,
        cpuTicks:
          startup.watchingBoot && pid
            ? (await readProcStat(pid))?.cpuTicks ?? null
            : null,
        runQueueWaitNs:
          startup.watchingBoot && pid ? await readRunQueueWaitNs(pid) : null,
      });
      if (step.kind === 'kvm-unusable') this.fallBackToTcg(step.reason);
      else if (step.kind === 'booted') await this.onBooted(step.settled);
    } finally {
      this.probing = false;
    }
  }

  private async onBooted(settled: boolean): Promise<void> {
    const { logger } = this.options.context;
    const seconds = `${(
      (Date.now() - Date.parse(this.startedAt!)) /
      1000
    ).toFixed(1)} s${
      settled ? '' : ' (never looked settled; snapshot taken anyway)'
    }`;
    try {
      if (this.options.snapshotsPossible && this.options.autoSaveBootSnapshot) {
        await this.controls.saveBootSnapshot();
        this.brokenSnapshot = false;
        logger.info(
          `${this.name}: booted in ${seconds}; saved snapshot ${this.options.bootSnapshot}`,
        );
      } else {
        logger.info(`${this.name}: booted in ${seconds}`);
      }
    } catch (error) {
      logger.warn(
        `${this.name}: could not save the boot snapshot: ${String(error)}`,
      );
    } finally {
      this.coldBootSlot.giveBack();
    }
  }

  private fallBackToTcg(reason: string) {
    this.noteKvmUnusable(reason);
    this.expectedExit = true;
    this.qemu?.child.kill('SIGKILL');
  }

  /** Every later start of this runtime's instances uses TCG, and says why. */
  private noteKvmUnusable(reason: string) {
    const { accel, logger } = this.options.context;
    accel.kvmFailure ??= reason.trim() || 'QEMU exited at start';
    logger.warn(
      `${this.name}: ${reason}; falling back to TCG (set loco.local.accel: tcg to skip the attempt)`,
    );
  }
}
