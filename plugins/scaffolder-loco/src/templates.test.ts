import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ENVIRONMENT_NAME_MAX_LENGTH,
  ENVIRONMENT_NAME_PATTERN,
  SNAPSHOT_TAG_PATTERN,
} from '@loco-portal/plugin-loco-common';
import { locoRuntimeServiceRef } from '@loco-portal/plugin-loco-node';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import yaml from 'yaml';
import { createFakeHelm, FakeHelm } from './__testUtils__/fakeHelm';
import {
  FakeLocalRuntime,
  runtimesWith,
  testConfig,
} from './__testUtils__/setup';
import { readActionSettings } from './actions/settings';
import { scaffolderModuleLoco } from './module';

// Each test starts a whole scaffolder backend; on two shared cores that takes seconds.
jest.setTimeout(120_000);

const TEMPLATES = path.resolve(__dirname, '../../../templates');
const TEMPLATE_NAMES = [
  'create-loco-environment',
  'update-loco-environment',
  'destroy-loco-environment',
];
const template = (name: string) =>
  yaml.parse(readFileSync(path.join(TEMPLATES, name, 'template.yaml'), 'utf8'));

let helm: FakeHelm;
let stopBackend: (() => Promise<void>) | undefined;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(async () => {
  await stopBackend?.();
  stopBackend = undefined;
  helm.cleanup();
});

/** The real scaffolder backend with our module, a fake local runtime and the fake helm. */
async function startScaffolder() {
  const local = new FakeLocalRuntime();
  const auditor = mockServices.auditor.mock();
  const config = testConfig(helm.binary);
  const settings = readActionSettings(
    mockServices.rootConfig({ data: config }),
  );
  const backend = await startTestBackend({
    features: [
      auditor.factory,
      scaffolderPlugin,
      scaffolderModuleLoco,
      catalogServiceMock.factory({
        entities: TEMPLATE_NAMES.map(template),
      }),
      mockServices.rootConfig.factory({ data: config }),
      createServiceFactory({
        service: locoRuntimeServiceRef,
        deps: {},
        factory: () => runtimesWith(local, settings),
      }),
    ],
  });
  const { server } = backend;
  stopBackend = () => backend.stop();
  const dryRun = (name: string, values: object) =>
    request(server)
      .post('/api/scaffolder/v2/dry-run')
      .set('Authorization', mockCredentials.user.header())
      .send({
        template: template(name),
        values,
        secrets: {},
        directoryContents: [],
      });
  /** A real task (not a dry run), as the portal's "Create" button starts it. */
  const runTask = async (name: string, values: object) => {
    const created = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('Authorization', mockCredentials.user.header())
      .send({ templateRef: `template:default/${name}`, values, secrets: {} });
    expect(created.status).toBe(201);
    for (;;) {
      const task = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('Authorization', mockCredentials.user.header());
      if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
        const events = await request(server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
          .set('Authorization', mockCredentials.user.header());
        const log = events.body
          .map((e: any) => e.body?.message ?? '')
          .join('\n');
        return { status: task.body.status as string, log };
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  };
  /** The events our actions recorded (the scaffolder records its own too). */
  const locoEvents = () =>
    auditor.createEvent.mock.calls
      .map(([options]) => options)
      .filter(options => options.eventId.startsWith('loco-'));
  return { dryRun, runTask, local, locoEvents };
}

const logOf = (body: any) =>
  body.log.map((l: any) => l.body.message).join('\n');

/** Every form property called `key`, wherever the template nests it. */
function formFields(node: unknown, key: string): any[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => [
    ...(k === 'properties' && v && typeof v === 'object' && key in v
      ? [(v as any)[key]]
      : []),
    ...formFields(v, key),
  ]);
}

describe("the forms use loco-common's name and tag rules", () => {
  // JSON schema in a template cannot import them: they are checked here instead.
  it.each(TEMPLATE_NAMES)('%s', name => {
    const parameters = template(name).spec.parameters;
    const names = formFields(parameters, 'name');
    expect(names.length).toBeGreaterThan(0);
    for (const field of names) {
      expect(field.pattern).toBe(ENVIRONMENT_NAME_PATTERN.source);
      expect(field.maxLength).toBe(ENVIRONMENT_NAME_MAX_LENGTH);
    }
    for (const field of formFields(parameters, 'snapshotTag')) {
      expect(field.pattern).toBe(SNAPSHOT_TAG_PATTERN.source);
    }
  });
});

describe('templates through the scaffolder dry run', () => {
  it('create-loco-environment: a local environment, nothing created', async () => {
    const { dryRun, local } = await startScaffolder();
    const res = await dryRun('create-loco-environment', {
      name: 'prov-dry',
      owner: 'group:default/guests',
      runtime: 'local',
      instances: 2,
      storageMode: 'ephemeral',
      snapshotTag: 'demo',
      wait: true,
    });
    expect(res.status).toBe(200);
    expect(logOf(res.body)).toContain(
      'Dry run: would create local environment prov-dry with 2 instances',
    );
    expect(res.body.steps.map((s: any) => s.id)).toEqual(['create']);
    expect(res.body.output.links).toEqual([
      expect.objectContaining({
        url: '/catalog/default/resource/prov-dry/loco',
      }),
      expect.objectContaining({ entityRef: 'resource:default/prov-dry' }),
    ]);
    expect(local.calls).toEqual([]);
  });

  it('create-loco-environment: a kubernetes environment shows the helm command and changes nothing', async () => {
    const { dryRun } = await startScaffolder();
    const res = await dryRun('create-loco-environment', {
      name: 'prov-k8s',
      owner: 'group:default/guests',
      runtime: 'kubernetes',
      cluster: 'prod-eu',
      namespace: 'loco',
      instances: 9,
      storageMode: 'persistent',
      snapshotTag: 'win98-base',
      wait: true,
    });
    expect(res.status).toBe(200);
    expect(logOf(res.body)).toMatch(
      /Dry run: would run helm upgrade --install prov-k8s \S+\/chart --namespace loco --create-namespace --values \S+prov-k8s-values.yaml --wait --timeout 5m on cluster prod-eu/,
    );
    // Only the read-only check the real run makes first.
    expect(helm.commands()).toEqual(['history']);
    expect(helm.releases()).toEqual({});
  });

  it.each([
    ['0 instances', { instances: 0 }],
    ['10,000 instances', { instances: 10000 }],
    ['a name with shell metacharacters', { name: 'a;rm -rf /' }],
    ['a name with YAML metacharacters', { name: 'x: y' }],
    ['an unknown storage mode', { storageMode: 'tmpfs' }],
  ])(
    'create-loco-environment refuses %s in the form',
    async (_what, change) => {
      const { dryRun, local } = await startScaffolder();
      const res = await dryRun('create-loco-environment', {
        name: 'prov-dry',
        owner: 'group:default/guests',
        runtime: 'local',
        instances: 2,
        storageMode: 'ephemeral',
        ...change,
      });
      expect(res.status).toBe(400);
      expect(local.calls).toEqual([]);
    },
  );

  it('create-loco-environment: an unknown cluster fails the step with an input error', async () => {
    const { dryRun } = await startScaffolder();
    const res = await dryRun('create-loco-environment', {
      name: 'prov-k8s',
      owner: 'group:default/guests',
      runtime: 'kubernetes',
      cluster: 'nope',
      instances: 2,
      storageMode: 'ephemeral',
    });
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status: 400,
      message: expect.stringMatching(/Unknown cluster "nope"/),
    });
    expect(helm.calls()).toEqual([]);
  });

  it('create-loco-environment: hostpath without loco.local.hostPath fails the dry run as the real run would', async () => {
    const { dryRun, local } = await startScaffolder();
    const res = await dryRun('create-loco-environment', {
      name: 'prov-dry',
      owner: 'group:default/guests',
      runtime: 'local',
      instances: 2,
      storageMode: 'hostpath',
    });
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status: 400,
      message: expect.stringContaining(
        'storageMode hostpath needs loco.local.hostPath in the backend config',
      ),
    });
    expect(local.calls).toEqual([]);
  });

  it('destroy-loco-environment: checks the environment exists and destroys nothing', async () => {
    const { dryRun, local } = await startScaffolder();
    local.envs.set('prov-dry', {
      name: 'prov-dry',
      instances: 1,
      storageMode: 'ephemeral',
    });
    const res = await dryRun('destroy-loco-environment', {
      name: 'prov-dry',
      runtime: 'local',
      confirm: true,
    });
    expect(res.status).toBe(200);
    expect(logOf(res.body)).toContain(
      'Dry run: would destroy local environment prov-dry',
    );
    expect(local.envs.has('prov-dry')).toBe(true);
    const unconfirmed = await dryRun('destroy-loco-environment', {
      name: 'prov-dry',
      runtime: 'local',
      confirm: false,
    });
    expect(unconfirmed.status).toBe(400);
  });
});

describe('the update template', () => {
  it('is registered in app-config.yaml beside create and destroy', () => {
    const config = yaml.parse(
      readFileSync(path.resolve(__dirname, '../../../app-config.yaml'), 'utf8'),
    );
    const targets = config.catalog.locations.map((l: any) => l.target);
    for (const name of TEMPLATE_NAMES)
      expect(targets).toContain(`../../templates/${name}/template.yaml`);
  });

  it('scales a local environment in a dry run and changes nothing', async () => {
    const { dryRun, local } = await startScaffolder();
    local.envs.set('prov-dry', {
      name: 'prov-dry',
      instances: 2,
      storageMode: 'ephemeral',
    });
    const res = await dryRun('update-loco-environment', {
      name: 'prov-dry',
      runtime: 'local',
      instances: 4,
      wait: true,
    });
    expect(res.status).toBe(200);
    expect(logOf(res.body)).toContain(
      'Dry run: would change local environment prov-dry to 4 instances',
    );
    expect(res.body.output.links).toEqual([
      expect.objectContaining({
        url: '/catalog/default/resource/prov-dry/loco',
      }),
      expect.objectContaining({ entityRef: 'resource:default/prov-dry' }),
    ]);
    expect(local.envs.get('prov-dry')!.instances).toBe(2);
  });

  it('scales, re-tags (with its fallback) and resizes a kubernetes environment as a real task', async () => {
    const { runTask } = await startScaffolder();
    const created = await runTask('create-loco-environment', {
      name: 'prov-k8s',
      owner: 'group:default/guests',
      runtime: 'kubernetes',
      cluster: 'prod-eu',
      namespace: 'loco',
      instances: 2,
      storageMode: 'ephemeral',
      snapshotTag: 'win98-base',
      wait: true,
    });
    expect(created.status).toBe('completed');
    const { status, log } = await runTask('update-loco-environment', {
      name: 'prov-k8s',
      runtime: 'kubernetes',
      cluster: 'prod-eu',
      namespace: 'loco',
      instances: 3,
      snapshotTag: 'win98-lan-v2',
      snapshotFallback: 'fail',
      storageSize: '4Gi',
      wait: true,
    });
    expect({ status, log }).toEqual({
      status: 'completed',
      log: expect.stringContaining('STATUS: deployed'),
    });
    expect(yaml.parse(helm.calls().at(-1)!.values!)).toEqual({
      instances: 3,
      snapshot: { tag: 'win98-lan-v2', fallback: 'fail' },
      storage: { mode: 'ephemeral', size: '4Gi' },
    });
  });

  it('refuses a new size for persistent disks before Helm runs', async () => {
    const { runTask } = await startScaffolder();
    await runTask('create-loco-environment', {
      name: 'prov-k8s',
      owner: 'group:default/guests',
      runtime: 'kubernetes',
      cluster: 'prod-eu',
      namespace: 'loco',
      instances: 2,
      storageMode: 'persistent',
      wait: true,
    });
    const upgrades = helm.commands().filter(c => c === 'upgrade').length;
    const { status, log } = await runTask('update-loco-environment', {
      name: 'prov-k8s',
      runtime: 'kubernetes',
      cluster: 'prod-eu',
      namespace: 'loco',
      storageSize: '4Gi',
    });
    expect(status).toBe('failed');
    expect(log).toContain('cannot change from 2Gi to 4Gi');
    expect(helm.commands().filter(c => c === 'upgrade').length).toBe(upgrades);
  });
});

describe('the create template as a real scaffolder task on kubernetes', () => {
  const values = {
    name: 'prov-k8s',
    owner: 'group:default/guests',
    runtime: 'kubernetes',
    cluster: 'prod-eu',
    namespace: 'loco',
    instances: 3,
    storageMode: 'ephemeral',
    snapshotTag: 'win98-base',
    wait: true,
  };

  it("installs the release and streams helm's output into the task log", async () => {
    const { runTask } = await startScaffolder();
    const { status, log } = await runTask('create-loco-environment', values);
    expect(status).toBe('completed');
    expect(log).toContain('STATUS: deployed');
    expect(helm.releases()['loco/prov-k8s'].map(r => r.status)).toEqual([
      'deployed',
    ]);
  });

  it("records the run in Backstage's audit log with the task's user", async () => {
    const { runTask, locoEvents } = await startScaffolder();
    const { status } = await runTask('create-loco-environment', values);
    expect(status).toBe('completed');
    expect(locoEvents()).toEqual([
      {
        eventId: 'loco-environment-create',
        severityLevel: 'medium',
        meta: expect.objectContaining({
          actor: mockCredentials.user().principal.userEntityRef,
          environment: 'prov-k8s',
          cluster: 'prod-eu',
          dryRun: false,
          template: 'template:default/create-loco-environment',
        }),
      },
    ]);
  });

  it("fails the task with helm's own error and leaves no release behind", async () => {
    const { runTask } = await startScaffolder();
    helm.failOn('upgrade', {
      exitCode: 1,
      stderr:
        'Error: INSTALLATION FAILED: 1 error occurred: * timed out waiting for the condition',
    });
    const { status, log } = await runTask('create-loco-environment', values);
    expect(status).toBe('failed');
    expect(log).toContain(
      'Error: INSTALLATION FAILED: 1 error occurred: * timed out waiting for the condition',
    );
    expect(log).toContain('The failed release was uninstalled.');
    expect(helm.commands()).toEqual(['history', 'upgrade', 'uninstall']);
    expect(helm.releases()).toEqual({});
  });
});
