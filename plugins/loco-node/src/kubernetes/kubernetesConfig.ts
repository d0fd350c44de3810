import fs from 'node:fs';
import type { Config } from '@backstage/config';
import { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { readClusterSource, type ClusterSource } from './backstageClusters';

/**
 * `loco.kubernetes`: our own small cluster block beside the Kubernetes
 * plugin's `kubernetes.clusterLocatorMethods`: that config carries options we
 * do not honour (dashboards, custom resources, object types, cloud auth), and
 * our clusters need two settings it has no place for: the namespaces to watch
 * and how to reach emulator ports. Without `loco.kubernetes.clusters` the
 * plugin's `config` clusters are used (backstageClusters.ts).
 */
/**
 * How to reach and authenticate to one cluster: shared by discovery (below)
 * and Helm provisioning, which read the same `loco.kubernetes.clusters`.
 */
export const clusterConnectionSchema = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be [a-z0-9-]+'),
  url: z.string().url().optional(),
  caData: z.string().optional(),
  caFile: z.string().optional(),
  skipTLSVerify: z.boolean().default(false),
  authProvider: z
    .enum(['serviceAccount', 'kubeconfig'])
    .default('serviceAccount'),
  serviceAccountToken: z.string().optional(),
  kubeconfigPath: z.string().optional(),
  kubeconfigContext: z.string().optional(),
  namespaces: z.array(z.string().min(1)).default([]),
});

/** The settings each authProvider cannot do without. */
export function requireClusterCredentials(
  c: z.infer<typeof clusterConnectionSchema>,
  ctx: z.RefinementCtx,
) {
  const missing = (key: string) =>
    ctx.addIssue({
      code: 'custom',
      message: `${key} is required for authProvider ${c.authProvider}`,
    });
  if (c.authProvider === 'serviceAccount' && !c.url) missing('url');
  if (c.authProvider === 'serviceAccount' && !c.serviceAccountToken)
    missing('serviceAccountToken');
  if (c.authProvider === 'kubeconfig' && !c.kubeconfigPath)
    missing('kubeconfigPath');
}

const clusterSchema = clusterConnectionSchema
  .extend({
    emulatorAccess: z.enum(['direct', 'portForward']).default('direct'),
  })
  .superRefine(requireClusterCredentials);

const kubernetesSchema = z.object({
  clusters: z.array(clusterSchema).default([]),
});

/** @public */
export type ClusterConfig = z.infer<typeof clusterSchema>;
/** @public */
export type KubernetesRuntimeConfig = z.infer<typeof kubernetesSchema>;

/**
 * Reads and validates the clusters: `loco.kubernetes.clusters`, or when that is
 * absent the `config` clusters of Backstage's Kubernetes plugin
 * (backstageClusters.ts); neither means no clusters. `from` and `notes` say
 * where they came from and what was left out, for the startup log.
 *
 * @public
 */
export function readKubernetesConfig(
  config: Config,
): KubernetesRuntimeConfig & {
  from: ClusterSource['from'];
  notes: string[];
} {
  const source = readClusterSource(config);
  const parsed = kubernetesSchema.safeParse({ clusters: source.clusters });
  if (!parsed.success) {
    throw new Error(
      `Invalid ${source.from} config: ${z.prettifyError(parsed.error)}`,
    );
  }
  const names = parsed.data.clusters.map(c => c.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) {
    throw new Error(
      `Invalid ${source.from} config: cluster name ${duplicate} appears twice`,
    );
  }
  return { ...parsed.data, from: source.from, notes: source.notes };
}

/** A client configuration for one cluster, as `@kubernetes/client-node` wants it. */
export function kubeConfigFor(
  cluster: z.infer<typeof clusterConnectionSchema>,
): KubeConfig {
  const kc = new KubeConfig();
  if (cluster.authProvider === 'kubeconfig') {
    kc.loadFromFile(cluster.kubeconfigPath!);
    if (cluster.kubeconfigContext)
      kc.setCurrentContext(cluster.kubeconfigContext);
    return kc;
  }
  const caData =
    cluster.caData ??
    (cluster.caFile
      ? fs.readFileSync(cluster.caFile).toString('base64')
      : undefined);
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url!,
        caData,
        skipTLSVerify: cluster.skipTLSVerify,
      },
    ],
    users: [{ name: 'loco', token: cluster.serviceAccountToken }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'loco' }],
    currentContext: cluster.name,
  });
  return kc;
}
