import { mockServices } from '@backstage/backend-test-utils';
import { LocoMetrics } from '../../metrics/LocoMetrics';
import type { RuntimeListing } from '../../runtime/EmulatorRuntime';
import {
  KubernetesRuntime,
  type KubernetesRuntimeOptions,
} from '../KubernetesRuntime';
import type { ClusterConfig } from '../kubernetesConfig';
import {
  FakeKubernetesApiServer,
  type FakeKubernetesApiServerOptions,
} from './FakeKubernetesApiServer';

/** The service account token the fake API servers accept by default. */
export const FAKE_API_TOKEN = 'test-token';

/** A cluster entry for a runtime talking to `api` (plain http, direct access). */
export function fakeCluster(
  name: string,
  api: FakeKubernetesApiServer,
  overrides: Partial<ClusterConfig> = {},
): ClusterConfig {
  return {
    name,
    url: api.url,
    skipTLSVerify: true, // plain http to the fake needs it (client-node refuses otherwise)
    authProvider: 'serviceAccount',
    serviceAccountToken: FAKE_API_TOKEN,
    namespaces: ['loco'],
    emulatorAccess: 'direct',
    ...overrides,
  };
}

/**
 * Fake API servers and Kubernetes runtimes for each test, stopped after it
 * (last started first). Registers its own afterEach. The runtime's timings
 * are short so that tests wait on events, not on time.
 */
export function kubernetesRuntimeFixture() {
  const stops: (() => Promise<void>)[] = [];

  /** Runs `stop` at clean-up, before whatever was registered earlier. */
  const onCleanUp = (stop: () => Promise<void>) => {
    stops.push(stop);
  };

  const startApi = async (options: FakeKubernetesApiServerOptions = {}) => {
    const api = new FakeKubernetesApiServer({
      token: FAKE_API_TOKEN,
      bookmarkIntervalMs: 100,
      ...options,
    });
    await api.start();
    onCleanUp(() => api.close());
    return api;
  };

  const startRuntime = (
    clusters: ClusterConfig[],
    overrides: Partial<KubernetesRuntimeOptions> = {},
  ) => {
    const runtime = new KubernetesRuntime({
      clusters,
      logger: mockServices.logger.mock(),
      metrics: new LocoMetrics(),
      ports: { vnc: 1, health: 1 },
      backoff: { initialMs: 50, maxMs: 200 },
      listTimeoutMs: 15_000, // the default; a busy CI machine can be slow to answer the first list
      health: {
        intervalMs: 100,
        timeoutMs: 1500,
        concurrency: 4,
        failureThreshold: 50,
      },
      ...overrides,
    });
    runtime.start();
    onCleanUp(() => runtime.stop());
    return runtime;
  };

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  return { startApi, startRuntime, onCleanUp };
}

/** Resolves with the first listing that satisfies `predicate`, woken by change events. */
export async function waitForListing(
  runtime: KubernetesRuntime,
  predicate: (l: RuntimeListing) => boolean,
): Promise<RuntimeListing> {
  for (;;) {
    let wake!: () => void;
    const changed = new Promise<void>(resolve => (wake = resolve));
    const off = runtime.onChange(() => wake());
    const listing = await runtime.listEnvironments();
    if (predicate(listing)) {
      off();
      return listing;
    }
    await changed;
    off();
  }
}
