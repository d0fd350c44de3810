import { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import {
  AGENT_SECRET_ANNOTATION,
  AGENT_SECRET_KEY,
} from '@loco-portal/plugin-loco-common';

/**
 * The bearer tokens of emulator agents. Each release's chart creates one
 * Secret; its pods name it in an annotation. The token is read through the
 * API server with the portal's own credentials (RBAC: `get` on secrets in the
 * environments' namespaces) and kept in memory; a token the agent refuses
 * (the Secret was replaced) is read again once.
 */
export class AgentTokens {
  private readonly cache = new Map<string, Promise<string>>();

  async get(
    cluster: string,
    kubeConfig: KubeConfig,
    pod: V1Pod,
    options: { fresh?: boolean } = {},
  ): Promise<string> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.annotations?.[AGENT_SECRET_ANNOTATION];
    if (!name) {
      throw new Error(
        `pod ${namespace}/${pod.metadata?.name} has no ${AGENT_SECRET_ANNOTATION} annotation: its chart predates the emulator agent (upgrade the release)`,
      );
    }
    const key = `${cluster}/${namespace}/${name}`;
    if (options.fresh) this.cache.delete(key);
    let token = this.cache.get(key);
    if (!token) {
      token = read(kubeConfig, namespace, name);
      this.cache.set(key, token);
      // A failed read is not remembered: the next call tries again.
      token.catch(() => this.cache.delete(key));
    }
    return token;
  }
}

async function read(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
): Promise<string> {
  let secret;
  try {
    secret = await kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name, namespace });
  } catch (error) {
    throw new Error(
      `cannot read the emulator agent's Secret ${namespace}/${name} (the portal needs "get" on secrets there): ${
        (error as Error).message
      }`,
    );
  }
  const encoded = secret.data?.[AGENT_SECRET_KEY];
  if (!encoded) {
    throw new Error(
      `Secret ${namespace}/${name} has no "${AGENT_SECRET_KEY}" key`,
    );
  }
  return Buffer.from(encoded, 'base64').toString('utf8').trim();
}
