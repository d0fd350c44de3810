import type { LoggerService } from '@backstage/backend-plugin-api';
import type { BootLimiter } from './BootLimiter';
import type { QemuLaunchSpec } from './qemuArgs';

/** Shared by every instance of one runtime. */
export interface InstanceContext {
  qemuBinary: string;
  logger: LoggerService;
  coldBoots: BootLimiter;
  /** The accelerator asked for, and why KVM was given up (once for the whole host). */
  accel: { requested: 'tcg' | 'kvm'; kvmFailure: string | null };
}

export interface SupervisorOptions {
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
