import { mockServices } from '@backstage/backend-test-utils';
import type {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import {
  summarizeStates,
  type LocoEnvironment,
} from '@loco-portal/plugin-loco-common';
import { LocoEntityProvider, ownerRef } from './LocoEntityProvider';

function environment(
  name: string,
  overrides: Partial<LocoEnvironment> = {},
): LocoEnvironment {
  return {
    name,
    runtime: 'local',
    location: 'local',
    owner: null,
    storageMode: 'ephemeral',
    snapshotTag: null,
    desiredInstances: 2,
    instances: [],
    summary: summarizeStates([]),
    ...overrides,
  };
}

function setup(configDefined?: ReadonlySet<string>) {
  const listing = { items: [] as LocoEnvironment[], errors: [] };
  const mutations: EntityProviderMutation[] = [];
  const connection: EntityProviderConnection = {
    applyMutation: async m => {
      mutations.push(m);
    },
    refresh: async () => {},
  };
  const provider = new LocoEntityProvider({
    runtimes: { listEnvironments: async () => listing },
    logger: mockServices.logger.mock(),
    appBaseUrl: 'http://portal.example:7007/',
    configDefined,
  });
  return { listing, mutations, connection, provider };
}

const entities = (m: EntityProviderMutation) =>
  m.type === 'full' ? m.entities.map(e => e.entity) : [];

describe('LocoEntityProvider', () => {
  it('publishes every environment as a loco-environment Resource with its Loco tab', async () => {
    const { listing, mutations, connection, provider } = setup();
    listing.items.push(
      environment('loco-demo', { owner: 'group:default/guests' }),
      environment('lab', {
        runtime: 'kubernetes',
        location: 'prod-eu',
        owner: 'user:default/alice',
      }),
    );
    await provider.connect(connection);
    expect(mutations).toHaveLength(1);
    const [demo, lab] = entities(mutations[0]);
    expect(demo).toMatchObject({
      kind: 'Resource',
      metadata: {
        name: 'loco-demo',
        annotations: { 'loco.dev/environment': 'loco-demo' },
        links: [
          {
            url: 'http://portal.example:7007/catalog/default/resource/loco-demo/loco',
          },
        ],
      },
      spec: { type: 'loco-environment', owner: 'group:default/guests' },
    });
    expect(lab.spec!.owner).toBe('user:default/alice');
    expect(lab.metadata.annotations!['backstage.io/managed-by-location']).toBe(
      'loco:prod-eu/lab',
    );
  });

  it('sends a mutation only when the set changed, and drops environments that are gone', async () => {
    const { listing, mutations, connection, provider } = setup();
    listing.items.push(environment('a'), environment('b'));
    await provider.connect(connection);
    expect(await provider.refresh()).toBe(false);
    listing.items.splice(0, 1);
    expect(await provider.refresh()).toBe(true);
    expect(mutations).toHaveLength(2);
    expect(entities(mutations[1]).map(e => e.metadata.name)).toEqual(['b']);
  });

  it('marks the local environments defined in config, so the destroy form can leave them out', async () => {
    const { listing, mutations, connection, provider } = setup(
      new Set(['loco-demo']),
    );
    listing.items.push(environment('loco-demo'), environment('mine'));
    await provider.connect(connection);
    const [demo, mine] = entities(mutations[0]);
    expect(demo.metadata.annotations!['loco.dev/defined-in']).toBe(
      'app-config',
    );
    expect(mine.metadata.annotations!['loco.dev/defined-in']).toBeUndefined();
  });

  it("annotates Kubernetes environments for Backstage's Kubernetes tab, with the chart's labels and the release's namespace; local ones not", async () => {
    const { listing, mutations, connection, provider } = setup();
    listing.items.push(
      environment('lab', {
        runtime: 'kubernetes',
        location: 'prod-eu',
        namespace: 'loco',
      }),
      environment('mine'),
    );
    await provider.connect(connection);
    const [lab, mine] = entities(mutations[0]);
    // The labels chart/templates/_helpers.tpl puts on every object of release "lab".
    expect(lab.metadata.annotations).toMatchObject({
      'backstage.io/kubernetes-id': 'lab',
      'backstage.io/kubernetes-label-selector':
        'app.kubernetes.io/part-of=lego-loco-cluster,loco.dev/environment=lab',
      'backstage.io/kubernetes-namespace': 'loco',
    });
    for (const key of [
      'backstage.io/kubernetes-id',
      'backstage.io/kubernetes-label-selector',
      'backstage.io/kubernetes-namespace',
    ]) {
      expect(mine.metadata.annotations![key]).toBeUndefined();
    }
  });

  it('leaves the namespace annotation out when the listing does not know it', async () => {
    const { listing, mutations, connection, provider } = setup();
    listing.items.push(environment('lab', { runtime: 'kubernetes' }));
    await provider.connect(connection);
    const [lab] = entities(mutations[0]);
    expect(lab.metadata.annotations!['backstage.io/kubernetes-id']).toBe('lab');
    expect(
      lab.metadata.annotations!['backstage.io/kubernetes-namespace'],
    ).toBeUndefined();
  });

  it('falls back to the default owner when none or an invalid one is recorded', () => {
    expect(ownerRef(null)).toBe('group:default/guests');
    expect(ownerRef('team-a')).toBe('group:default/team-a');
    expect(ownerRef('user:default/bob')).toBe('user:default/bob');
    expect(ownerRef('::')).toBe('group:default/guests');
  });
});
