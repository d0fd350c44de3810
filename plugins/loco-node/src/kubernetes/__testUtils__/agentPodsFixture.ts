import fs from 'node:fs';
import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { LocoMetrics } from '../../metrics/LocoMetrics';
import {
  AgentProcess,
  DEMO_DISK,
  freePort,
} from '../../agent/__testUtils__/agentProcess';
import { KubernetesRuntime } from '../KubernetesRuntime';
import type { ClusterConfig } from '../kubernetesConfig';
import {
  agentSecret,
  emulatorPod,
  emulatorStatefulSet,
} from './emulatorObjects';
import { FakeKubernetesApiServer } from './FakeKubernetesApiServer';
import { fakeCluster } from './kubernetesRuntimeFixture';

/** The release's agent token, as its Secret holds it. */
export const AGENT_TOKEN = 'release-token';
/** The portal's service account token: not the release's. */
const API_TOKEN = 'portal-sa-token';

/**
 * Release `lab` on a fake API server whose two pods point at real emulator
 * agents (real QEMU): lab-0 (127.0.0.1) boots the demo disk, lab-1
 * (127.0.0.2) waits for a disk that never comes. Each agent works in its own
 * folder of `dir`; `agentEnv` is added to every agent's environment.
 */
export async function startAgentPods(
  dir: string,
  agentEnv: Record<string, string> = {},
) {
  /** One agent per pod; all share the chart's ports, so each listens on 127.0.0.x. */
  const startAgent = async (
    name: string,
    env: Record<string, string>,
  ): Promise<AgentProcess> => {
    const root = path.join(dir, name);
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'token'), AGENT_TOKEN);
    return AgentProcess.start({
      LOCO_ENV: 'lab',
      LOCO_INSTANCE_COUNT: '2',
      LOCO_RUN_DIR: path.join(root, 'run'),
      LOCO_BUILTIN_DISK: DEMO_DISK,
      LOCO_NETDEV: '',
      LOCO_VNC: `127.0.0.1:${(await freePort()) - 5900}`,
      LOCO_PROBE_INTERVAL_MS: '1000',
      LOCO_RETRY_SECONDS: '1',
      LOCO_AGENT_TOKEN_FILE: path.join(root, 'token'),
      ...agentEnv,
      ...env,
    });
  };

  const agents: AgentProcess[] = [];
  const api = new FakeKubernetesApiServer({ token: API_TOKEN });
  const runtimes: KubernetesRuntime[] = [];
  const stop = async () => {
    await Promise.all(runtimes.map(r => r.stop()));
    await api.stop();
    await Promise.all(agents.map(a => a.kill()));
  };

  let running: AgentProcess;
  let waiting: AgentProcess;
  try {
    running = await startAgent('lab-0', { LOCO_INSTANCE_INDEX: '0' });
    agents.push(running);
    waiting = await startAgent('lab-1', {
      LOCO_INSTANCE_INDEX: '1',
      LOCO_DISK: path.join(dir, 'lab-1', 'missing.qcow2'),
      LOCO_AGENT_LISTEN: `127.0.0.2:${running.port}`,
    });
    agents.push(waiting);
    await api.start();
  } catch (error) {
    await stop(); // the caller's clean-up never sees a bed that did not start
    throw error;
  }
  api.apply('statefulsets', emulatorStatefulSet('lab', { replicas: 2 }));
  api.apply('pods', emulatorPod('lab', 0, { podIP: '127.0.0.1' }));
  api.apply('pods', emulatorPod('lab', 1, { podIP: '127.0.0.2' }));
  api.apply('secrets', agentSecret('lab', AGENT_TOKEN));

  /** A portal runtime for the fake cluster, probing the agents' health port. */
  const startRuntime = (
    access: ClusterConfig['emulatorAccess'] = 'direct',
  ): KubernetesRuntime => {
    const runtime = new KubernetesRuntime({
      clusters: [
        fakeCluster('alpha', api, {
          serviceAccountToken: API_TOKEN,
          emulatorAccess: access,
        }),
      ],
      logger: mockServices.logger.mock(),
      metrics: new LocoMetrics(),
      ports: { vnc: 1, health: running.port },
      health: { intervalMs: 200, timeoutMs: 2000 },
    });
    runtime.start();
    runtimes.push(runtime);
    return runtime;
  };

  return { api, running, waiting, startAgent, startRuntime, stop };
}

/** What `startAgentPods` started, for a test file's `beforeAll`/`afterAll`. */
export type AgentPods = Awaited<ReturnType<typeof startAgentPods>>;
