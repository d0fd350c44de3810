import { InputError } from '@backstage/errors';
import {
  ENVIRONMENT_NAME_MAX_LENGTH,
  ENVIRONMENT_NAME_PATTERN,
  ENVIRONMENT_NAME_RULE,
  MAX_INSTANCES,
  SNAPSHOT_FALLBACKS,
  SNAPSHOT_REGISTRY_PATTERN,
  SNAPSHOT_TAG_PATTERN,
  SNAPSHOT_TAG_RULE,
  STORAGE_MODES,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod/v3';

/**
 * Per-field input schemas shared by the loco:environment:* actions. The
 * scaffolder turns them into JSON schema (zod v3 API, which is what
 * createTemplateAction hands to the field functions) and checks templates with
 * them; `validateInput` applies the same schemas inside the handler, because a
 * direct caller (tests, other actions) bypasses the scaffolder's check. Every
 * pattern is a whitelist: shell and YAML metacharacters never reach Helm.
 */

type Z = typeof z;

// Cluster and namespace names (DNS-1123 labels). The environment name and the
// snapshot tag follow loco-common's rules, shared with the chart and the agent.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// values.schema.json's environment.owner pattern: an entity ref such as user:default/guest.
const OWNER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:/_.@-]*$/;
const DURATION_PATTERN = /^([0-9]+(h|m|s))+$/;
/** values.schema.json's storage.size (inputs.test.ts holds them equal): a Kubernetes quantity such as 2Gi. */
export const QUANTITY_PATTERN =
  /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

export const fields = {
  name: (zz: Z) =>
    zz
      .string()
      .min(1)
      .max(ENVIRONMENT_NAME_MAX_LENGTH, ENVIRONMENT_NAME_RULE)
      .regex(ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE)
      .describe(
        'Environment name: Helm release, label value and catalog entity name',
      ),
  runtime: (zz: Z) =>
    zz
      .enum(['local', 'kubernetes'])
      .default('local')
      .describe('Where the emulators run'),
  instances: (zz: Z) =>
    zz.number().int().min(1).max(32).describe('Number of emulators (1-32)'),
  storageMode: (zz: Z) =>
    zz
      .enum(STORAGE_MODES)
      .default('ephemeral')
      .describe('How instance disks are kept'),
  snapshotTag: (zz: Z) =>
    zz
      .string()
      .regex(SNAPSHOT_TAG_PATTERN, SNAPSHOT_TAG_RULE)
      .optional()
      .describe('Snapshot (base disk) tag'),
  snapshotFallback: (zz: Z) =>
    zz
      .enum(SNAPSHOT_FALLBACKS)
      .optional()
      .describe(
        "When the snapshot cannot be pulled: builtin boots the image's own disk and says why, fail keeps the instances down with the registry's reason (default builtin)",
      ),
  /** loco:snapshot:publish: the instance, and the tag it is published as (required there). */
  index: (zz: Z) =>
    zz
      .number()
      .int()
      .min(0)
      .max(MAX_INSTANCES - 1)
      .describe('The instance to publish (0 is the first)'),
  tag: (zz: Z) =>
    zz
      .string()
      .regex(SNAPSHOT_TAG_PATTERN, SNAPSHOT_TAG_RULE)
      .describe('The snapshot tag to publish it as, e.g. games'),
  snapshotRegistry: (zz: Z) =>
    zz
      .string()
      .regex(
        SNAPSHOT_REGISTRY_PATTERN,
        'an OCI repository such as ghcr.io/org/loco-snapshots',
      )
      .optional()
      .describe('OCI repository the snapshot tag belongs to (kubernetes only)'),
  cluster: (zz: Z) =>
    zz
      .string()
      .regex(DNS_LABEL)
      .optional()
      .describe('Cluster name from loco.kubernetes.clusters (kubernetes only)'),
  namespace: (zz: Z) =>
    zz
      .string()
      .max(63)
      .regex(DNS_LABEL)
      .optional()
      .describe('Kubernetes namespace (kubernetes only)'),
  owner: (zz: Z) =>
    zz
      .string()
      .max(253)
      .regex(OWNER_PATTERN, 'an entity ref such as group:default/team-a')
      .optional()
      .describe('Owner entity ref; default: the user running the template'),
  storageSize: (zz: Z) =>
    zz
      .string()
      .regex(QUANTITY_PATTERN, 'a Kubernetes quantity such as 4Gi')
      .optional()
      .describe(
        'Disk size per instance (kubernetes only; refused for disks in claims: persistent, hybrid)',
      ),
  deleteDisks: (zz: Z) =>
    zz
      .boolean()
      .default(false)
      .describe(
        "Also delete the instances' disks (kubernetes: their PersistentVolumeClaims, which helm uninstall keeps)",
      ),
  wait: (zz: Z) =>
    zz.boolean().default(true).describe('Wait until every instance is ready'),
  timeout: (zz: Z) =>
    zz
      .string()
      .regex(DURATION_PATTERN, 'a duration such as 10m or 300s')
      .optional()
      .describe('How long to wait (Go duration); default loco.helm.timeout'),
};

type Fields = typeof fields;
export type FieldName = keyof Fields;
export type ParsedInput<K extends FieldName> = {
  [P in K]: z.infer<ReturnType<Fields[P]>>;
};

/** Builds the `schema.input` record of an action from a subset of the fields. */
export function inputSchema<K extends FieldName>(
  keys: readonly K[],
  overrides: Partial<Record<K, (zz: Z) => z.ZodTypeAny>> = {},
) {
  return Object.fromEntries(
    keys.map(k => [k, overrides[k] ?? fields[k]]),
  ) as unknown as { [P in K]: Fields[P] };
}

/** Inputs that only mean something to a Helm release. */
type KubernetesOnlyInput =
  | 'cluster'
  | 'namespace'
  | 'snapshotRegistry'
  | 'storageSize'
  | 'deleteDisks';

/** The local runtime refuses Helm-only inputs instead of silently ignoring them. */
export function rejectKubernetesOnlyInputs(
  args: Partial<Record<KubernetesOnlyInput, unknown>>,
  keys: readonly KubernetesOnlyInput[],
) {
  for (const key of keys) {
    if (args[key] !== undefined && args[key] !== false) {
      throw new InputError(`${key} applies to the kubernetes runtime only`);
    }
  }
}

/** A Helm release may only use a configured snapshot tag (when tags are configured). */
export function checkHelmSnapshotTag(
  snapshotTag: string | undefined,
  configured: readonly string[],
) {
  if (
    snapshotTag !== undefined &&
    configured.length > 0 &&
    !configured.includes(snapshotTag)
  ) {
    throw new InputError(
      `Unknown snapshot tag "${snapshotTag}" (configured: ${configured.join(
        ', ',
      )})`,
    );
  }
}

/** Validates raw input with the same schemas; every failure is an InputError. */
export function validateInput<K extends FieldName>(
  schema: { [P in K]: (zz: Z) => z.ZodTypeAny },
  input: unknown,
): ParsedInput<K> {
  const shape = Object.fromEntries(
    Object.entries(schema).map(([k, f]) => [
      k,
      (f as (zz: Z) => z.ZodTypeAny)(z),
    ]),
  );
  // A template renders an unset optional parameter as "" or null: treat it as absent.
  const present = Object.fromEntries(
    Object.entries((input ?? {}) as Record<string, unknown>).filter(
      ([, v]) => v !== '' && v !== null && v !== undefined,
    ),
  );
  const parsed = z.object(shape).strict().safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map(i => `${i.path.join('.') || 'input'}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid input: ${problems}`);
  }
  return parsed.data as ParsedInput<K>;
}

/** Go duration (as Helm takes it) in milliseconds, for the local runtime's wait. */
export function durationMs(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/([0-9]+)(h|m|s)/g)) {
    total +=
      Number(n) * { h: 3_600_000, m: 60_000, s: 1000 }[unit as 'h' | 'm' | 's'];
  }
  return total;
}

/** Outputs every action that leaves an environment behind reports. */
export const environmentOutputs = {
  environment: (zod: typeof z) => zod.string().describe('The environment name'),
  entityRef: (zod: typeof z) =>
    zod.string().describe('Catalog entity ref of the environment'),
  locoUrl: (zod: typeof z) =>
    zod.string().describe("Path of the environment's Loco tab"),
};
