import path from 'node:path';
import type { Config } from '@backstage/config';
import {
  SNAPSHOT_REGISTRY_PATTERN,
  SOUND_CARDS,
  STORAGE_MODES,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod';

/**
 * A DNS-label-like name: safe as a file name, a Helm release and a label value.
 *
 * @public
 */
export const environmentNameSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  );

// Defined once in loco-common; re-exported for this package's users of it.
export { SOUND_CARDS, type SoundCard } from '@loco-portal/plugin-loco-common';
export const VGA_ADAPTERS = ['std', 'cirrus', 'vmware'] as const;

/**
 * Options the supervisor relies on (its sockets, snapshots, process model):
 * extra arguments may not replace them.
 */
const RESERVED_ARGS = new Set([
  '-daemonize',
  '-qmp',
  '-vnc',
  '-loadvm',
  '-incoming',
  '-snapshot',
  '-pidfile',
  '-monitor',
  '-name',
  '-runas',
  '-chroot',
  '-display',
]);

/** Extra QEMU arguments: one array element per argument, from config only. */
export const extraArgsSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(4096)
      .regex(/^[^\0\n]*$/, 'must be one line'),
  )
  .max(64)
  .refine(args => !args.some(a => RESERVED_ARGS.has(a)), {
    message: `must not contain ${[...RESERVED_ARGS].join(
      ', ',
    )} (the runtime manages those)`,
  });

/** QEMU splits -drive values on commas, so paths handed to it must not contain any. */
const qemuPathSchema = z
  .string()
  .min(1)
  .regex(/^[^,\0]+$/, 'must not contain commas');

const imageSchema = z.object({
  /** Base disk (qcow2 or raw); instances run on copy-on-write overlays of it. */
  path: qemuPathSchema,
  /** Internal RAM snapshot inside a qcow2 base to resume instances from. */
  snapshot: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  memoryMb: z.number().int().min(16).max(4096).optional(),
  vga: z.enum(VGA_ADAPTERS).optional(),
  sound: z.enum(SOUND_CARDS).optional(),
  extraArgs: extraArgsSchema.optional(),
});

/** `loco.local.snapshots`: where snapshot tags not in `images` are pulled from. */
export const snapshotsSchema = z
  .object({
    /** An OCI repository without scheme, e.g. registry.example.com/loco/snapshots. */
    registry: z.string().regex(SNAPSHOT_REGISTRY_PATTERN),
    username: z.string().min(1).max(256).optional(),
    password: z.string().min(1).max(4096).optional(),
    /** Plain HTTP; default only for loopback registries. */
    plainHttp: z.boolean().optional(),
  })
  .refine(s => Boolean(s.username) === Boolean(s.password), {
    message: 'username and password go together',
  });

const environmentSchema = z.object({
  name: environmentNameSchema,
  instances: z.number().int().min(1).max(32),
  image: z.string().min(1),
  storageMode: z.enum(STORAGE_MODES).default('ephemeral'),
  owner: z.string().optional(),
  /** This environment's sound card, over its image's (`none` switches sound off here only). */
  sound: z.enum(SOUND_CARDS).optional(),
});

const localConfigSchema = z.object({
  enabled: z.boolean().default(true),
  qemuBinary: z.string().default('qemu-system-x86_64'),
  stateDir: qemuPathSchema.default('.loco'),
  /** Where `hostpath` environments keep their instance state. */
  hostPath: qemuPathSchema.optional(),
  /** Hybrid's shared folder: `rw` IDE disk (no RAM snapshots) or `ro` CD-ROM (snapshots work). */
  sharedDirMode: z.enum(['rw', 'ro']).default('rw'),
  /** `kvm` is tried and verified after start; a guest that hangs falls back to TCG. */
  accel: z.enum(['tcg', 'kvm']).default('tcg'),
  /** Cold boots at once; default: the number of cores. Snapshot starts are not limited. */
  coldBootConcurrency: z.number().int().min(1).max(64).optional(),
  memoryMb: z.number().int().min(16).max(4096).default(128),
  vga: z.enum(VGA_ADAPTERS).default('std'),
  sound: z.enum(SOUND_CARDS).default('none'),
  extraArgs: extraArgsSchema.default([]),
  images: z
    .record(z.string().regex(/^[A-Za-z0-9._-]+$/), imageSchema)
    .default({}),
  environments: z.array(environmentSchema).default([]),
  snapshots: snapshotsSchema.optional(),
});

export type LocalRuntimeConfig = z.infer<typeof localConfigSchema>;
export type LocalImageConfig = z.infer<typeof imageSchema>;
export type LocalEnvironmentConfig = z.infer<typeof environmentSchema>;
/**
 * `loco.local.snapshots`: the registry the local runtime pulls tags from, with its credentials.
 *
 * @public
 */
export type LocalSnapshotsConfig = z.infer<typeof snapshotsSchema>;

/** Validates a config object (also used by tests and the bench). */
export function parseLocalRuntimeConfig(raw: unknown): LocalRuntimeConfig {
  const parsed = localConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new Error(
      `Invalid loco.local config: ${z.prettifyError(parsed.error)}`,
    );
  }
  const result = parsed.data;
  result.stateDir = path.resolve(result.stateDir);
  if (result.hostPath) result.hostPath = path.resolve(result.hostPath);
  for (const image of Object.values(result.images)) {
    image.path = path.resolve(image.path);
  }
  for (const env of result.environments) {
    if (!result.images[env.image]) {
      throw new Error(
        `loco.local environment ${env.name} uses image "${env.image}", which is not in loco.local.images`,
      );
    }
    if (env.storageMode === 'hostpath' && !result.hostPath) {
      throw new Error(
        `loco.local environment ${env.name} uses storageMode hostpath, which needs loco.local.hostPath`,
      );
    }
  }
  return result;
}

/** Reads and validates `loco.local`; relative paths resolve against the working directory. */
export function readLocalRuntimeConfig(config: Config): LocalRuntimeConfig {
  return parseLocalRuntimeConfig(config.getOptional('loco.local'));
}
