import path from 'node:path';
import {
  DEFAULT_SNAPSHOT_FALLBACK,
  SNAPSHOT_FALLBACKS,
  SNAPSHOT_REGISTRY_PATTERN,
  SNAPSHOT_TAG_PATTERN,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod';
import { instanceMac, lanEndpoint } from '../local/lanAddress';
import {
  environmentNameSchema,
  extraArgsSchema,
  SOUND_CARDS,
  VGA_ADAPTERS,
} from '../local/localConfig';
import { multicastNetdev } from '../local/qemuArgs';

/**
 * The agent's inputs: LOCO_* environment variables, set by the Helm chart
 * (chart/templates/statefulset.yaml) or by hand for `docker run`. Every one is
 * validated here, before anything starts; emulator-image/README.md lists them.
 */
const number = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^(0|[1-9]\d{0,8})$/, 'must be a decimal number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);

/** QEMU splits option values at commas; control characters have no place in paths. */
const qemuPath = z
  .string()
  .min(1)
  .regex(/^\/[^,\p{Cc}]*$/u, 'must be an absolute path without commas');

const envSchema = z.object({
  LOCO_ENV: environmentNameSchema,
  LOCO_INSTANCE_COUNT: number(1, 245, 1),
  LOCO_INSTANCE_INDEX: number(0, 244, 0),
  LOCO_INSTANCE_NAME: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
    .optional(),
  LOCO_MEMORY_MB: number(16, 4096, 128),
  LOCO_VGA: z.enum(VGA_ADAPTERS).default('std'),
  LOCO_SOUND: z.enum(SOUND_CARDS).default('none'),
  // tcg unless KVM is asked for; KVM is verified after start and falls back to TCG.
  LOCO_ACCEL: z.enum(['tcg', 'kvm']).default('tcg'),
  LOCO_QEMU: z.string().min(1).default('qemu-system-x86_64'),
  LOCO_RUN_DIR: qemuPath
    // sockaddr_un.sun_path: 107 bytes for "<dir>/qmp.sock".
    .refine(p => p.length + 9 <= 107, 'is too long for a unix socket path')
    .default('/run/loco'),
  LOCO_DISK: qemuPath.optional(),
  LOCO_BUILTIN_DISK: qemuPath.default('/opt/loco/disk/base.qcow2'),
  // loco-common's rule: the chart's schema and the portal's inputs use the same one.
  LOCO_SNAPSHOT_TAG: z.string().regex(SNAPSHOT_TAG_PATTERN).optional(),
  LOCO_SNAPSHOT_REGISTRY: z
    .string()
    .max(255)
    .regex(SNAPSHOT_REGISTRY_PATTERN, 'must be an OCI repository')
    .optional(),
  // When the pull fails: boot the disk that is there or the image's own, or stay down.
  LOCO_SNAPSHOT_FALLBACK: z
    .enum(SNAPSHOT_FALLBACKS)
    .default(DEFAULT_SNAPSHOT_FALLBACK),
  LOCO_REGISTRY_CONFIG: z.string().min(1).optional(),
  // Push credentials for publishing (the chart's snapshot.publishConfigSecret).
  LOCO_PUBLISH_REGISTRY_CONFIG: z.string().min(1).optional(),
  LOCO_RETRY_SECONDS: number(1, 3600, 30),
  // Unset: the loopback multicast LAN of the local runtime; empty: no network card.
  LOCO_NETDEV: z
    .string()
    .regex(
      /^([a-z-]+,(.*,)?id=lan0(,.*)?)?$/,
      'must look like TYPE,...,id=lan0,...',
    )
    .regex(/^\S*$/, 'must not contain spaces')
    .optional(),
  LOCO_LAN_WAIT_SECONDS: number(0, 3600, 120),
  LOCO_VNC: z
    .string()
    .regex(
      /^(unix:\/[^,\s]+|(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\])?:\d{1,5})$/,
      'must be unix:/PATH or [HOST]:DISPLAY',
    )
    .optional(),
  LOCO_SHARED_DIR: qemuPath
    .refine(p => !p.includes(':'), 'must not contain ":" (QEMU vvfat syntax)')
    .optional(),
  LOCO_SHARED_DIR_MODE: z.enum(['rw', 'ro']).default('rw'),
  LOCO_SAVE_ON_STOP: z.enum(['true', 'false']).default('false'),
  LOCO_STOP_TIMEOUT: number(0, 3600, 20),
  LOCO_EXTRA_ARGS: z.string().default(''),
  LOCO_AGENT_LISTEN: z
    .string()
    .regex(/^(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\]):\d{1,5}$/)
    .default('0.0.0.0:8080'),
  LOCO_AGENT_TOKEN_FILE: z.string().min(1).optional(),
  LOCO_PROBE_INTERVAL_MS: number(100, 600_000, 5000),
});

export type AgentConfig = ReturnType<typeof readAgentConfig>;

/** Validates the environment; throws one message naming every bad variable. */
export function readAgentConfig(env: NodeJS.ProcessEnv) {
  // An empty variable counts as unset, except LOCO_NETDEV (empty = no NIC).
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([k, v]) => k.startsWith('LOCO_') && (v !== '' || k === 'LOCO_NETDEV'),
    ),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  if (e.LOCO_INSTANCE_INDEX >= e.LOCO_INSTANCE_COUNT) {
    throw new Error(
      `invalid environment: LOCO_INSTANCE_INDEX ${e.LOCO_INSTANCE_INDEX} must be below LOCO_INSTANCE_COUNT ${e.LOCO_INSTANCE_COUNT}`,
    );
  }
  const extraArgs = extraArgsSchema.safeParse(
    e.LOCO_EXTRA_ARGS.split('\n').filter(Boolean),
  );
  if (!extraArgs.success) {
    throw new Error(
      `invalid environment: LOCO_EXTRA_ARGS ${z.prettifyError(
        extraArgs.error,
      )}`,
    );
  }
  const lan = lanEndpoint(e.LOCO_ENV);
  const runDir = path.resolve(e.LOCO_RUN_DIR);
  return {
    environment: e.LOCO_ENV,
    index: e.LOCO_INSTANCE_INDEX,
    count: e.LOCO_INSTANCE_COUNT,
    name: e.LOCO_INSTANCE_NAME ?? `${e.LOCO_ENV}-${e.LOCO_INSTANCE_INDEX}`,
    memoryMb: e.LOCO_MEMORY_MB,
    vga: e.LOCO_VGA,
    sound: e.LOCO_SOUND,
    accel: e.LOCO_ACCEL,
    qemuBinary: e.LOCO_QEMU,
    runDir,
    /** Without LOCO_DISK: an overlay on the built-in disk in the run directory. */
    disk: e.LOCO_DISK
      ? { path: e.LOCO_DISK, overlayOn: null }
      : {
          path: path.join(runDir, 'disk.qcow2'),
          overlayOn: e.LOCO_BUILTIN_DISK,
        },
    snapshot:
      e.LOCO_SNAPSHOT_TAG && e.LOCO_SNAPSHOT_REGISTRY
        ? {
            tag: e.LOCO_SNAPSHOT_TAG,
            registry: e.LOCO_SNAPSHOT_REGISTRY,
            registryConfig: e.LOCO_REGISTRY_CONFIG ?? null,
            fallback: e.LOCO_SNAPSHOT_FALLBACK,
            builtinDisk: e.LOCO_BUILTIN_DISK,
          }
        : null,
    snapshotTag: e.LOCO_SNAPSHOT_TAG ?? null,
    /**
     * Where the control API's publish pushes: the environment's snapshot
     * registry, with the push credentials, else the pull ones (an account
     * may do both), else anonymous. Null without a registry.
     */
    publish: e.LOCO_SNAPSHOT_REGISTRY
      ? {
          registry: e.LOCO_SNAPSHOT_REGISTRY,
          registryConfig:
            e.LOCO_PUBLISH_REGISTRY_CONFIG ?? e.LOCO_REGISTRY_CONFIG ?? null,
        }
      : null,
    retryMs: e.LOCO_RETRY_SECONDS * 1000,
    netdev: e.LOCO_NETDEV ?? multicastNetdev(lan.group, lan.port),
    mac: instanceMac(e.LOCO_ENV, e.LOCO_INSTANCE_INDEX),
    lanWaitMs: e.LOCO_LAN_WAIT_SECONDS * 1000,
    vnc: e.LOCO_VNC,
    sharedDir: e.LOCO_SHARED_DIR,
    sharedDirMode: e.LOCO_SHARED_DIR_MODE,
    saveOnStop: e.LOCO_SAVE_ON_STOP === 'true',
    stopTimeoutMs: e.LOCO_STOP_TIMEOUT * 1000,
    extraArgs: extraArgs.data,
    listen: e.LOCO_AGENT_LISTEN,
    tokenFile: e.LOCO_AGENT_TOKEN_FILE ?? null,
    probeIntervalMs: e.LOCO_PROBE_INTERVAL_MS,
  };
}
