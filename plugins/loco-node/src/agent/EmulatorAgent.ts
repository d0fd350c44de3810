import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import type {
  HealthFacts,
  InstanceHealth,
} from '@loco-portal/plugin-loco-common';
import {
  deriveInstanceHealth,
  NOT_STARTED_FACTS,
} from '../health/deriveInstanceHealth';
import { BootLimiter } from '../local/BootLimiter';
import { diskInfo } from '../local/diskImages';
import { BOOT_SNAPSHOT } from '../local/instanceControls';
import { InstanceSupervisor } from '../local/InstanceSupervisor';
import type { AgentConfig } from './agentConfig';
import { AgentPublisher } from './agentPublisher';
import { tryPrepareDisk } from './agentDisk';
import { hubAddress } from './lanHub';
import { LanRelay } from './lanRelay';

/**
 * The emulator agent's one instance: makes sure it has a disk and (in the
 * chart's hub mode) a reachable LAN hub, then hands it to the supervisor the
 * local runtime runs too ({@link InstanceSupervisor}: QEMU arguments, boot
 * watch and boot snapshot, KVM to TCG fallback, restart backoff, graceful
 * stop, health facts). Until QEMU runs, health says what it waits for.
 */
export class EmulatorAgent {
  private phase: 'preparing' | 'waiting' | 'running' | 'stopping' = 'preparing';
  private message: string | null = null;
  /** Why the disk is not the snapshot asked for (a pull fell back); shown while running. */
  private diskNotice: string | null = null;
  private current?: InstanceSupervisor;
  /** In the chart's hub mode: what QEMU connects to instead of the hub. */
  private relay?: LanRelay;
  /** One instance per pod: its cold boot never waits, and holds the slot until the boot watch says booted. */
  private readonly coldBoots = new BootLimiter(1);
  private readonly abort = new AbortController();
  private readonly publisher: AgentPublisher;

  constructor(
    private readonly config: AgentConfig,
    private readonly logger: LoggerService,
  ) {
    this.publisher = new AgentPublisher(config, logger);
  }

  /** The supervisor once QEMU has been started. */
  get supervisor(): InstanceSupervisor | undefined {
    return this.current;
  }

  /** Prepares, then starts QEMU; resolves once it is spawned (or the agent stops first). */
  async start(): Promise<void> {
    const { config } = this;
    await fs.mkdir(config.runDir, { recursive: true });
    // A container restart keeps the run directory (an emptyDir): clear what
    // the last QEMU left there.
    for (const stale of ['qmp.sock', 'vnc.sock', 'qemu.pid'])
      await fs.rm(path.join(config.runDir, stale), { force: true });
    if (!(await this.prepareDisk())) return;
    if (config.sharedDir && !(await isDirectory(config.sharedDir))) {
      throw new Error(`LOCO_SHARED_DIR ${config.sharedDir} is not a directory`);
    }
    const netdev = await this.joinHub();
    if (netdev === null) return;
    // QEMU refuses internal snapshots while a read-write vvfat drive is attached.
    const snapshotsPossible = !(
      config.sharedDir && config.sharedDirMode === 'rw'
    );
    const tagged = await this.diskHoldsTag(snapshotsPossible);
    const kvmFailure =
      config.accel === 'kvm' && !(await kvmUsable())
        ? 'no usable /dev/kvm'
        : null;
    if (this.abort.signal.aborted) return;
    this.current = new InstanceSupervisor({
      launch: {
        environment: config.environment,
        name: config.name,
        index: config.index,
        count: config.count,
        diskPath: config.disk.path,
        runDir: config.runDir,
        memoryMb: config.memoryMb,
        vga: config.vga,
        vnc: config.vnc,
        sound: config.sound,
        sharedDir: config.sharedDir,
        sharedDirMode: config.sharedDirMode,
        netdev,
        mac: config.mac,
        extraArgs: config.extraArgs,
      },
      context: {
        qemuBinary: config.qemuBinary,
        logger: this.logger,
        coldBoots: this.coldBoots,
        accel: { requested: config.accel, kvmFailure },
      },
      // A snapshot tag whose disk holds a RAM snapshot of that name is the
      // image's own boot snapshot; otherwise the first cold boot saves one.
      bootSnapshot: tagged ?? BOOT_SNAPSHOT,
      autoSaveBootSnapshot: !tagged,
      snapshotsPossible,
      probeIntervalMs: config.probeIntervalMs,
      powerdownTimeoutMs: config.stopTimeoutMs,
    });
    this.phase = 'running';
    this.message = null;
    await this.current.start();
  }

  /** Health as the local runtime derives it, with what the agent waits for before QEMU runs. */
  health(now = new Date()): { health: InstanceHealth; restartHelps: boolean } {
    const s = this.current;
    if (s) {
      const { waiting, notes } = s.notes();
      const health = deriveInstanceHealth(this.withAgentFacts(s.facts()), now, {
        intendedRunning: s.intendedRunning,
        waiting,
        notes: this.diskNotice ? [...notes, this.diskNotice] : notes,
      });
      // Liveness: a restart helps only a QEMU that runs and fails; the
      // supervisor restarts one that exited by itself.
      const restartHelps =
        health.state === 'unhealthy' && health.facts.processAlive;
      return { health, restartHelps };
    }
    const health = deriveInstanceHealth(NOT_STARTED_FACTS, now, {
      intendedRunning: this.phase !== 'stopping',
      waiting:
        this.phase === 'preparing'
          ? this.message ?? 'preparing the disk'
          : undefined,
      notes: this.phase === 'waiting' && this.message ? [this.message] : [],
    });
    return { health, restartHelps: false };
  }

  /**
   * What only the agent measures. `lanJoined`: whether the relay is connected
   * to the hub (absent without a hub: the multicast LAN has nothing to join).
   * `guestBooted`: a snapshot start is past the boot at once; a cold boot
   * holds the agent's cold-boot slot until the supervisor's boot watch says
   * the guest booted (or gives up on it, see startupCheck).
   */
  private withAgentFacts(facts: HealthFacts): HealthFacts {
    return {
      ...facts,
      ...(this.relay ? { lanJoined: this.relay.joined } : {}),
      guestBooted: facts.processAlive
        ? facts.bootMode === 'snapshot' || this.coldBoots.running === 0
        : null,
    };
  }

  /** The running instance's supervisor, or why there is none yet. */
  running(): InstanceSupervisor {
    if (this.current) return this.current;
    throw new ConflictError(
      `${this.config.name} is not running yet${
        this.message ? `: ${this.message}` : ''
      }`,
    );
  }

  /** Publishes the running instance as `tag` (see AgentPublisher). */
  publish(tag: string): Promise<string> {
    return this.publisher.publish(tag, () => this.running());
  }

  /** SIGTERM: save the running state when asked to, then the supervisor's graceful stop. */
  async stop(): Promise<void> {
    this.phase = 'stopping';
    this.abort.abort();
    const s = this.current;
    if (!s) {
      await this.relay?.close();
      return;
    }
    if (this.config.saveOnStop && s.facts().processAlive) {
      try {
        await s.controls.save();
        this.logger.info('saved the running state; the next start resumes it');
      } catch (error) {
        this.logger.warn(`could not save the running state: ${error}`);
      }
    }
    await s.stop();
    await this.relay?.close();
  }

  private async prepareDisk(): Promise<boolean> {
    const { config } = this;
    const { signal } = this.abort;
    for (;;) {
      const attempt = await tryPrepareDisk(
        config.disk,
        config.snapshot,
        what => this.set('preparing', what),
        signal,
      );
      if (attempt.ready) {
        this.diskNotice = attempt.notice ?? null;
        if (attempt.notice) this.logger.warn(attempt.notice);
        return true;
      }
      if (signal.aborted) return false;
      this.set(
        'waiting',
        `${attempt.reason}; retrying every ${config.retryMs / 1000}s`,
      );
      if (!(await pause(config.retryMs, signal))) return false;
    }
  }

  /**
   * In the chart's hub mode, starts the relay QEMU connects to (so a hub
   * restart never cuts this instance's link) and waits up to LOCO_LAN_WAIT_SECONDS
   * for its first connection, so the guest boots onto a LAN with peers.
   * Returns QEMU's netdev, or null when the agent is stopped meanwhile.
   */
  private async joinHub(): Promise<string | null> {
    const { netdev, lanWaitMs } = this.config;
    const hub = hubAddress(netdev);
    if (!hub) return netdev;
    this.relay = await LanRelay.start(hub, this.logger);
    if (this.abort.signal.aborted) {
      await this.relay.close();
      return null;
    }
    if (!this.relay.joined && lanWaitMs > 0) {
      this.set('preparing', `waiting for the LAN hub ${hub.host}:${hub.port}`);
      const joined = await this.relay.waitJoined(lanWaitMs, this.abort.signal);
      if (this.abort.signal.aborted) return null;
      if (!joined) {
        this.logger.warn(
          `LAN hub ${hub.host}:${hub.port} not reachable after ${
            lanWaitMs / 1000
          }s; starting anyway (the relay joins it whenever it comes up)`,
        );
      }
    }
    return this.relay.netdevFor(netdev);
  }

  private async diskHoldsTag(possible: boolean): Promise<string | undefined> {
    const tag = this.config.snapshotTag;
    if (!tag || !possible) return undefined;
    const info = await diskInfo(this.config.disk.path).catch(() => null);
    if (info?.snapshots.includes(tag)) return tag;
    this.logger.warn(
      `snapshot "${tag}" is not in ${this.config.disk.path}; the first cold boot saves ${BOOT_SNAPSHOT}`,
    );
    return undefined;
  }

  private set(phase: 'preparing' | 'waiting', message: string): void {
    if (this.phase === 'stopping') return;
    if (message !== this.message) this.logger.info(message);
    this.phase = phase;
    this.message = message;
  }
}

/** Resolves false when the agent is stopped meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, true, { signal }).catch(() => false);
}

async function kvmUsable(): Promise<boolean> {
  return fs.access('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK).then(
    () => true,
    () => false,
  );
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await fs.stat(dir).catch(() => null))?.isDirectory() ?? false;
}
