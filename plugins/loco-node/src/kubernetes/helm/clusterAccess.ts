import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterSettings } from '../../provisioning/provisioningConfig';

/** How one helm invocation reaches a configured cluster. */
export interface ClusterAccess {
  args: string[];
  env: Record<string, string>;
}

/**
 * Turns a `loco.kubernetes.clusters[]` entry into Helm's global flags. The API
 * server, CA and kubeconfig go on argv; the service account token goes into
 * HELM_KUBETOKEN (Helm's own variable for --kube-token) so it never appears in
 * the process list or in the command line the task log shows. Inline CA data is
 * written to a 0600 file under `workDir` because Helm only takes a CA file.
 */
export async function clusterAccess(
  cluster: ClusterSettings,
  workDir: string,
): Promise<ClusterAccess> {
  const args: string[] = [];
  const env: Record<string, string> = {};
  if (cluster.authProvider === 'kubeconfig') {
    if (cluster.kubeconfigPath)
      args.push('--kubeconfig', cluster.kubeconfigPath);
    if (cluster.kubeconfigContext)
      args.push('--kube-context', cluster.kubeconfigContext);
    return { args, env };
  }
  if (!cluster.url) {
    throw new Error(`loco.kubernetes.clusters ${cluster.name} has no url`);
  }
  args.push('--kube-apiserver', cluster.url);
  if (cluster.caData) {
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    const caFile = path.join(workDir, `${cluster.name}-ca.crt`);
    await writeFile(caFile, Buffer.from(cluster.caData, 'base64'), {
      mode: 0o600,
    });
    args.push('--kube-ca-file', caFile);
  } else if (cluster.caFile) {
    args.push('--kube-ca-file', cluster.caFile);
  }
  if (cluster.skipTLSVerify) args.push('--kube-insecure-skip-tls-verify');
  if (cluster.serviceAccountToken)
    env.HELM_KUBETOKEN = cluster.serviceAccountToken;
  return { args, env };
}
