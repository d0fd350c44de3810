import path from 'node:path';
import type { Config } from '@backstage/config';
import { STORAGE_MODES } from '@loco-portal/plugin-loco-common';
import { z } from 'zod';

/** A DNS-label-like name: safe as a file name, a Helm release and a label value. */
export const environmentNameSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  );

const imageSchema = z.object({
  /** Base disk (qcow2 or raw); instances run on copy-on-write overlays of it. */
  path: z.string().min(1),
});

const environmentSchema = z.object({
  name: environmentNameSchema,
  instances: z.number().int().min(1).max(32),
  image: z.string().min(1),
  storageMode: z.enum(STORAGE_MODES).default('ephemeral'),
  owner: z.string().optional(),
});

const localConfigSchema = z.object({
  enabled: z.boolean().default(true),
  qemuBinary: z.string().default('qemu-system-x86_64'),
  stateDir: z.string().default('.loco'),
  memoryMb: z.number().int().min(32).max(4096).default(128),
  vga: z.enum(['std', 'cirrus', 'vmware']).default('std'),
  images: z.record(z.string(), imageSchema).default({}),
  environments: z.array(environmentSchema).default([]),
});

export type LocalRuntimeConfig = z.infer<typeof localConfigSchema>;
export type LocalEnvironmentConfig = z.infer<typeof environmentSchema>;

/** Reads and validates `loco.local`; relative paths resolve against the working directory. */
export function readLocalRuntimeConfig(config: Config): LocalRuntimeConfig {
  const raw = config.getOptional('loco.local') ?? {};
  const parsed = localConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid loco.local config: ${z.prettifyError(parsed.error)}`);
  }
  const result = parsed.data;
  result.stateDir = path.resolve(result.stateDir);
  for (const image of Object.values(result.images)) {
    image.path = path.resolve(image.path);
  }
  for (const env of result.environments) {
    if (!result.images[env.image]) {
      throw new Error(
        `loco.local environment ${env.name} uses image "${env.image}", which is not in loco.local.images`,
      );
    }
  }
  return result;
}
