import type { Config } from '@backstage/config';
import { z } from 'zod';

/**
 * Clusters configured once: when `loco.kubernetes.clusters` is absent, Loco
 * uses the clusters of Backstage's own Kubernetes plugin
 * (`kubernetes.clusterLocatorMethods`), so a platform team that already runs
 * `@backstage/plugin-kubernetes` lists its clusters in one place.
 *
 * Only what Loco can honour is taken over; everything else is said in `notes`
 * (logged at startup) rather than silently dropped:
 * - locator type `config` only: `catalog`, `gke`, `localKubectlProxy` and
 *   custom locators find clusters at request time through services Loco does
 *   not have, while Loco watches its clusters from startup;
 * - authProvider `serviceAccount` with a `serviceAccountToken` only: the cloud
 *   providers (google, aws, azure, oidc) mint tokens per request through
 *   Backstage's auth strategies, which Loco's watches and Helm do not use;
 * - cluster names Loco can use as a location and `--kube-context` ([a-z0-9-]).
 * Loco-only settings (`namespaces`, `emulatorAccess`) take their defaults;
 * set `loco.kubernetes.clusters` to choose them. An explicit empty
 * `loco.kubernetes.clusters: []` turns the fallback off.
 */

const locatorSchema = z
  .object({
    type: z.string(),
    clusters: z.array(z.record(z.string(), z.unknown())).default([]),
  })
  .loose();

const backstageClusterSchema = z
  .object({
    name: z.string(),
    url: z.string(),
    authProvider: z.string().optional(),
    authMetadata: z.record(z.string(), z.unknown()).optional(),
    serviceAccountToken: z.string().optional(),
    caData: z.string().optional(),
    caFile: z.string().optional(),
    skipTLSVerify: z.boolean().optional(),
  })
  .loose();

const LOCO_CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Raw cluster entries for Loco's own schema, and why others were left out. */
export interface ClusterSource {
  /** Entries as `loco.kubernetes.clusters` would hold them (validated by the caller). */
  clusters: unknown[];
  /** Where they came from, for the startup log. */
  from:
    | 'loco.kubernetes.clusters'
    | 'kubernetes.clusterLocatorMethods'
    | 'none';
  /** One line per locator or cluster that was not taken over, and why. */
  notes: string[];
}

/** `loco.kubernetes.clusters` when present, else Backstage's `config` clusters. */
export function readClusterSource(config: Config): ClusterSource {
  const own = config.getOptional('loco.kubernetes.clusters');
  if (own !== undefined) {
    return {
      clusters: Array.isArray(own) ? own : [own],
      from: 'loco.kubernetes.clusters',
      notes: [],
    };
  }
  const methods = config.getOptional('kubernetes.clusterLocatorMethods');
  if (methods === undefined) return { clusters: [], from: 'none', notes: [] };
  const parsed = z.array(locatorSchema).safeParse(methods);
  if (!parsed.success) {
    throw new Error(
      `Invalid kubernetes.clusterLocatorMethods config: ${z.prettifyError(
        parsed.error,
      )}`,
    );
  }
  const clusters: unknown[] = [];
  const notes: string[] = [];
  for (const method of parsed.data) {
    if (method.type !== 'config') {
      notes.push(
        `kubernetes.clusterLocatorMethods type ${method.type} is not used by Loco (only type config: Loco watches fixed clusters from startup); list those clusters in loco.kubernetes.clusters`,
      );
      continue;
    }
    for (const raw of method.clusters) {
      const c = backstageClusterSchema.safeParse(raw);
      if (!c.success) {
        throw new Error(
          `Invalid kubernetes.clusterLocatorMethods cluster: ${z.prettifyError(
            c.error,
          )}`,
        );
      }
      const skip = (why: string) =>
        notes.push(
          `Kubernetes cluster ${c.data.name} is not used by Loco: ${why}`,
        );
      const provider =
        c.data.authProvider ??
        (c.data.authMetadata?.['kubernetes.io/auth-provider'] as
          | string
          | undefined);
      if (provider !== 'serviceAccount') {
        skip(
          `authProvider ${
            provider ?? '(none)'
          } is not supported (only serviceAccount with serviceAccountToken)`,
        );
      } else if (!c.data.serviceAccountToken) {
        skip('it has no serviceAccountToken');
      } else if (!LOCO_CLUSTER_NAME.test(c.data.name)) {
        skip('Loco cluster names must be [a-z0-9-]+');
      } else {
        clusters.push({
          name: c.data.name,
          url: c.data.url,
          authProvider: 'serviceAccount',
          serviceAccountToken: c.data.serviceAccountToken,
          ...(c.data.caData !== undefined ? { caData: c.data.caData } : {}),
          ...(c.data.caFile !== undefined ? { caFile: c.data.caFile } : {}),
          ...(c.data.skipTLSVerify !== undefined
            ? { skipTLSVerify: c.data.skipTLSVerify }
            : {}),
        });
      }
    }
  }
  return { clusters, from: 'kubernetes.clusterLocatorMethods', notes };
}
