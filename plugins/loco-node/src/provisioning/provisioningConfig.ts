import path from 'node:path';
import type { Config } from '@backstage/config';
import { SNAPSHOT_TAG_PATTERN } from '@loco-portal/plugin-loco-common';
import { z } from 'zod';
import {
  snapshotsSchema,
  type LocalSnapshotsConfig,
} from '../local/localConfig';
import {
  clusterConnectionSchema,
  requireClusterCredentials,
} from '../kubernetes/kubernetesConfig';
import { readClusterSource } from '../kubernetes/backstageClusters';

/**
 * What self-service provisioning may offer and use, read from config:
 * `loco.helm` (how to run Helm), the cluster names of `loco.kubernetes.clusters`
 * (or Backstage's `kubernetes.clusterLocatorMethods`) with their credentials (for Helm's flags) and the snapshot tags each runtime
 * knows. Shared by the scaffolder actions and the backend's options route so the
 * form offers exactly what the actions accept.
 */

/**
 * A Go duration as Helm's --timeout takes it, e.g. 10m, 300s, 1h30m.
 *
 * @public
 */
export const helmTimeoutSchema = z
  .string()
  .regex(/^([0-9]+(h|m|s))+$/, 'a duration such as 10m, 300s or 1h30m');

/** Kubernetes / OCI-safe names: no shell or YAML metacharacters can pass. */
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
/** A Secret's name (the chart's schema has the same rule). */
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
// loco-common's tag rule: a configured tag the emulator refuses is a config error.
const snapshotTag = z.string().regex(SNAPSHOT_TAG_PATTERN);

// Other keys (emulatorAccess, ...) belong to the Kubernetes runtime.
const clusterSchema = clusterConnectionSchema
  .loose()
  .superRefine(requireClusterCredentials);

const helmSchema = z.object({
  binary: z.string().min(1).default('helm'),
  chart: z.string().min(1).default('../../chart'),
  timeout: helmTimeoutSchema.default('10m'),
  /** Namespace used when neither the input nor the cluster names one. */
  defaultNamespace: dnsLabel.default('loco'),
  /** Snapshot tags the form offers for Kubernetes environments. */
  snapshotTags: z.array(snapshotTag).default([]),
  /** Default snapshot registry (OCI repository) for Kubernetes environments. */
  snapshotRegistry: z.string().default(''),
  /**
   * dockerconfigjson Secrets (in each release's namespace) the portal's
   * releases get as the chart's snapshot.registryConfigSecret (pull) and
   * snapshot.publishConfigSecret (push).
   */
  snapshotRegistrySecrets: z
    .object({ pull: dnsSubdomain.optional(), push: dnsSubdomain.optional() })
    .optional(),
  /** To list snapshotRegistry's tags for the form (pods use the chart's Secrets). */
  snapshotRegistryCredentials: z
    .object({ username: z.string().min(1), password: z.string().min(1) })
    .optional(),
});

/** @public */
export type HelmSettings = z.infer<typeof helmSchema>;
/** @public */
export type ClusterSettings = z.infer<typeof clusterSchema>;

/** @public */
export interface ProvisioningSettings {
  helm: HelmSettings;
  clusters: ClusterSettings[];
  /** Snapshot tags of the local runtime (keys of loco.local.images), [] when it is off. */
  localSnapshotTags: string[];
  localEnabled: boolean;
  /**
   * loco.local.snapshots.registry: the local runtime also pulls tags that are
   * not in loco.local.images from here (docs/snapshots.md).
   */
  localSnapshotRegistry?: string;
  /** loco.local.snapshots with its credentials, to list the registry's tags (never sent out). */
  localSnapshots?: LocalSnapshotsConfig;
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, key: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid ${key} config: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Reads the provisioning settings; a chart given as a path resolves against the working directory.
 *
 * @public
 */
export function readProvisioningSettings(config: Config): ProvisioningSettings {
  const helm = parse(
    helmSchema,
    config.getOptional('loco.helm') ?? {},
    'loco.helm',
  );
  // OCI references and repo/chart names stay as they are; paths become absolute.
  if (
    !helm.chart.startsWith('oci://') &&
    (helm.chart.startsWith('.') || helm.chart.startsWith('/'))
  ) {
    helm.chart = path.resolve(helm.chart);
  }
  // The same clusters the runtime watches (Backstage's own when Loco has none).
  const source = readClusterSource(config);
  const clusters = parse(z.array(clusterSchema), source.clusters, source.from);
  const localEnabled = config.getOptionalBoolean('loco.local.enabled') ?? true;
  const images = config.getOptionalConfig('loco.local.images');
  const snapshots = config.getOptional('loco.local.snapshots');
  return {
    helm,
    clusters,
    localEnabled,
    localSnapshotTags: localEnabled && images ? images.keys() : [],
    localSnapshotRegistry: localEnabled
      ? config.getOptionalString('loco.local.snapshots.registry')
      : undefined,
    localSnapshots:
      localEnabled && snapshots !== undefined
        ? parse(snapshotsSchema, snapshots, 'loco.local.snapshots')
        : undefined,
  };
}

/**
 * What the create form may offer; no credentials.
 *
 * @public
 */
export interface ProvisioningOptions {
  runtimes: Array<'local' | 'kubernetes'>;
  snapshotTags: { local: string[]; kubernetes: string[] };
  snapshotRegistry: string;
  clusters: Array<{ name: string; namespaces: string[] }>;
  defaultNamespace: string;
}

/**
 * The public part of the settings, for the options route and the form.
 *
 * @public
 */
export function provisioningOptions(
  settings: ProvisioningSettings,
  enabledRuntimes: string[],
): ProvisioningOptions {
  const runtimes: Array<'local' | 'kubernetes'> = [];
  if (enabledRuntimes.includes('local')) runtimes.push('local');
  // Helm provisioning needs only a cluster to talk to, not the discovery runtime.
  if (settings.clusters.length > 0) runtimes.push('kubernetes');
  return {
    runtimes,
    snapshotTags: {
      local: runtimes.includes('local') ? settings.localSnapshotTags : [],
      kubernetes: settings.helm.snapshotTags,
    },
    snapshotRegistry: settings.helm.snapshotRegistry,
    clusters: settings.clusters.map(c => ({
      name: c.name,
      namespaces: c.namespaces,
    })),
    defaultNamespace: settings.helm.defaultNamespace,
  };
}
