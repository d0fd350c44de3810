import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import {
  AGENT_CONTROL_ROUTES,
  agentAuthorization,
} from '@loco-portal/plugin-loco-common';
import { diskInfo } from '../local/diskImages';
import { RegistryClient } from '../oci/RegistryClient';
import { pullSnapshot } from '../oci/snapshotArtifact';
import {
  startTestRegistry,
  type TestRegistry,
} from '../oci/__testUtils__/testRegistry';
import type { AgentProcess } from '../agent/__testUtils__/agentProcess';
import type { KubernetesRuntime } from './KubernetesRuntime';
import {
  AGENT_TOKEN as TOKEN,
  startAgentPods,
  type AgentPods,
} from './__testUtils__/agentPodsFixture';
import type { FakeKubernetesApiServer } from './__testUtils__/FakeKubernetesApiServer';

// Publishing from pods: the portal's Kubernetes runtime asks a pod's emulator
// agent (real process, real QEMU) through a fake API server, and the agent
// pushes its instance's disk and RAM state to a real registry
// (docker-registry with htpasswd) with the push credentials mounted in the
// pod (here a dockerconfigjson file, as the chart mounts the Secret).
jest.setTimeout(600_000);

const REPOSITORY = 'loco/snapshots';
let dir: string;
let registry: TestRegistry;
let pods: AgentPods;
let api: FakeKubernetesApiServer;
let running: AgentProcess;
let pushConfig: string;
let runtime: KubernetesRuntime;

function writePushConfig(user: string, password: string): void {
  fs.writeFileSync(
    pushConfig,
    JSON.stringify({
      auths: {
        [registry.host]: {
          auth: Buffer.from(`${user}:${password}`).toString('base64'),
        },
      },
    }),
  );
}

/** The registry as a reader sees it (credentials of its own). */
function reader(): RegistryClient {
  return new RegistryClient(`${registry.host}/${REPOSITORY}`, {
    credentials: { username: 'pusher', password: 'push-secret' },
  });
}

function publishDirectly(
  headers: Record<string, string>,
  body: unknown,
): Promise<Response> {
  return running.fetch(AGENT_CONTROL_ROUTES.publish, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-k8s-publish-'));
  registry = await startTestRegistry({
    auth: 'htpasswd',
    users: { pusher: 'push-secret' },
  });
  pushConfig = path.join(dir, 'push-config.json');
  writePushConfig('pusher', 'push-secret');
  pods = await startAgentPods(dir, {
    LOCO_SNAPSHOT_REGISTRY: `${registry.host}/${REPOSITORY}`,
    LOCO_PUBLISH_REGISTRY_CONFIG: pushConfig,
  });
  ({ api, running } = pods);
  runtime = pods.startRuntime();
  await running.waitForHealth(
    'lab-0 healthy',
    h => h.state === 'healthy',
    300_000,
  );
});

afterAll(async () => {
  await pods?.stop();
  await registry?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('publishing a snapshot from a pod', () => {
  it('the agent publishes its disk and RAM state; the tag pulls back with that digest and RAM snapshot', async () => {
    const res = await publishDirectly(
      { authorization: agentAuthorization(TOKEN) },
      { tag: 'agent-made' },
    );
    expect(res.status).toBe(201);
    const answer = await res.json();
    expect(answer).toEqual({
      tag: 'agent-made',
      digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
    });

    const disk = path.join(dir, 'pulled.qcow2');
    const pulled = await pullSnapshot(reader(), 'agent-made', disk);
    expect(pulled.digest).toBe(answer.digest);
    expect(pulled.config).toEqual({ ramSnapshot: 'agent-made', memoryMb: 128 });
    const info = await diskInfo(disk);
    expect(info.snapshots).toContain('agent-made');
    // Self-contained: no overlay on the pod's built-in disk.
    const raw = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', disk], {
        encoding: 'utf8',
      }),
    );
    expect(raw['backing-filename']).toBeUndefined();
    // The flattened copy beside the disk is gone.
    expect(
      fs
        .readdirSync(path.join(dir, 'lab-0', 'run'))
        .filter(f => f.startsWith('.publish-')),
    ).toEqual([]);
  });

  it('a new pod of that tag pulls it and resumes from its RAM state', async () => {
    const resumed = await pods.startAgent('lab-new', {
      LOCO_ENV: 'fresh',
      LOCO_INSTANCE_COUNT: '1',
      LOCO_INSTANCE_INDEX: '0',
      LOCO_DISK: path.join(dir, 'lab-new', 'data', 'disk.qcow2'),
      LOCO_SNAPSHOT_TAG: 'agent-made',
      LOCO_SNAPSHOT_FALLBACK: 'fail',
      LOCO_REGISTRY_CONFIG: pushConfig,
    });
    try {
      const health = await resumed.waitForHealth(
        'resumed from agent-made',
        // Healthy, or a sign the RAM state was refused (a cold boot instead).
        h =>
          h.state === 'healthy' ||
          h.facts.bootMode === 'cold' ||
          h.facts.restarts > 0,
        120_000,
      );
      expect(health.state).toBe('healthy');
      expect(health.facts).toMatchObject({ bootMode: 'snapshot', restarts: 0 });
      expect(
        fs.readFileSync(
          path.join(dir, 'lab-new', 'data', '.loco-disk-source'),
          'utf8',
        ),
      ).toContain(`${registry.host}/${REPOSITORY}:agent-made`);
    } finally {
      await resumed.kill();
    }
  });

  it('refuses a call without the token (401) or with a wrong one (403), and pushes nothing', async () => {
    const without = await publishDirectly({}, { tag: 'sneaky' });
    expect(without.status).toBe(401);
    expect((await without.json()).error.name).toBe('AuthenticationError');
    const wrong = await publishDirectly(
      { authorization: agentAuthorization('guessed') },
      { tag: 'sneaky' },
    );
    expect(wrong.status).toBe(403);
    expect(await reader().listTags()).not.toContain('sneaky');
  });

  it('refuses a bad tag with a 400 before anything is captured', async () => {
    const res = await publishDirectly(
      { authorization: agentAuthorization(TOKEN) },
      { tag: '-bad tag' },
    );
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/invalid publish request/);
  });

  it("the portal's runtime publishes through the right pod's agent with the release's token", async () => {
    const reads = () =>
      api.requests.filter(r => r.path.endsWith('/secrets/lab-agent')).length;
    const published = await runtime.publishSnapshot('lab', 0, 'games');
    expect(published).toEqual({
      tag: 'games',
      digest: (await reader().getManifest('games')).digest,
    });
    expect(reads()).toBeGreaterThanOrEqual(1);
    expect(running.log()).toContain(
      `published as ${registry.host}/${REPOSITORY}:games`,
    );
    // Index 1 is the other pod: its agent has no running instance to publish.
    await expect(runtime.publishSnapshot('lab', 1, 'games')).rejects.toThrow(
      ConflictError,
    );
    await expect(runtime.publishSnapshot('lab', 1, 'games')).rejects.toThrow(
      /^lab-1 is not running yet/,
    );
  });

  it("says the registry's reason when it refuses the push credentials", async () => {
    writePushConfig('pusher', 'wrong');
    try {
      const failing = runtime.publishSnapshot('lab', 0, 'refused');
      await expect(failing).rejects.toThrow(ServiceUnavailableError);
      await expect(failing).rejects.toThrow(
        new RegExp(
          `^publish failed: 401 from registry ${registry.host}: .*"pusher"`,
        ),
      );
    } finally {
      writePushConfig('pusher', 'push-secret');
    }
    expect(await reader().listTags()).not.toContain('refused');
  });
});
