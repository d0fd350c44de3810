import { fireEvent, screen, within } from '@testing-library/react';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { LocoOptionPicker } from './LocoOptionPicker';

jest.setTimeout(30_000);

const OPTIONS = {
  runtimes: ['local', 'kubernetes'],
  snapshotTags: { local: ['demo'], kubernetes: ['win98-base', 'win98-lan-v2'] },
  snapshotRegistry: '',
  clusters: [{ name: 'prod-eu', namespaces: ['loco'] }],
  defaultNamespace: 'loco',
};

/** Test double of the Loco backend's GET /options and /environments. */
function fakeFetch(options: object = OPTIONS) {
  const requested: string[] = [];
  const fetch = async (input: RequestInfo | URL) => {
    const url = String(input);
    requested.push(url);
    const body = url.endsWith('/options')
      ? options
      : {
          items: [
            { name: 'loco-demo', runtime: 'local', location: 'local' },
            { name: 'mine', runtime: 'local', location: 'local' },
          ],
          errors: [],
        };
    return new Response(JSON.stringify(body), {
      headers: { 'Content-Type': 'application/json' },
    });
  };
  return { api: { fetch }, requested };
}

/**
 * Test double of the catalog holding the catalog module's entities: loco-demo
 * is marked as defined in config. Applies the filter the way the catalog does
 * (every key must match; annotation keys contain dots, so they are matched whole).
 */
const FakeCatalog = {
  async getEntities(request: { filter: Record<string, string> }) {
    const entities = [
      {
        kind: 'Resource',
        metadata: {
          name: 'loco-demo',
          annotations: { 'loco.dev/defined-in': 'app-config' },
        },
        spec: { type: 'loco-environment' },
      },
      {
        kind: 'Resource',
        metadata: { name: 'mine', annotations: {} },
        spec: { type: 'loco-environment' },
      },
    ];
    const value = (e: any, key: string) => {
      const prefix = 'metadata.annotations.';
      if (key.startsWith(prefix))
        return e.metadata.annotations[key.slice(prefix.length)];
      return key.split('.').reduce((v, k) => v?.[k], e);
    };
    return {
      items: entities.filter(e =>
        Object.entries(request.filter).every(
          ([k, v]) =>
            String(value(e, k) ?? '').toLowerCase() === v.toLowerCase(),
        ),
      ),
    };
  },
};

async function renderPicker(
  option: string,
  formData: object = {},
  fetch = fakeFetch(),
) {
  const onChange = jest.fn();
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [
          discoveryApiRef,
          { getBaseUrl: async (id: string) => `http://portal/api/${id}` },
        ],
        [fetchApiRef, fetch.api],
        [catalogApiRef, FakeCatalog as any],
      ]}
    >
      <LocoOptionPicker
        {...({} as any)}
        schema={{ title: 'Choice', description: 'pick one' }}
        uiSchema={{ 'ui:options': { option } }}
        formData={undefined}
        onChange={onChange}
        rawErrors={[]}
        formContext={{ formData }}
        idSchema={{ $id: 'root_choice' }}
      />
    </TestApiProvider>,
  );
  return { onChange, requested: fetch.requested };
}

async function openAndList() {
  fireEvent.mouseDown(await screen.findByRole('button'));
  const listbox = await screen.findByRole('listbox');
  return within(listbox)
    .getAllByRole('option')
    .map(o => o.textContent);
}

describe('LocoOptionPicker', () => {
  it('offers the runtimes the backend has configured and reports the choice', async () => {
    const { onChange, requested } = await renderPicker('runtime');
    // A sentence first, the raw value beneath it.
    expect(await openAndList()).toEqual([
      "QEMU emulators on the portal's own hostlocal",
      'A Helm release of the Loco chart on a Kubernetes clusterkubernetes',
    ]);
    fireEvent.click(
      screen.getByText(
        'A Helm release of the Loco chart on a Kubernetes cluster',
      ),
    );
    expect(onChange).toHaveBeenCalledWith('kubernetes');
    expect(requested).toEqual(['http://portal/api/loco/options']);
  });

  it('offers the snapshot tags of the runtime chosen in the form', async () => {
    await renderPicker('snapshotTag', { runtime: 'kubernetes' });
    expect(await openAndList()).toEqual(['win98-base', 'win98-lan-v2']);
  });

  it('falls back to free text when any snapshot tag is allowed', async () => {
    const { onChange } = await renderPicker(
      'snapshotTag',
      { runtime: 'kubernetes' },
      fakeFetch({
        ...OPTIONS,
        snapshotTags: { local: ['demo'], kubernetes: [] },
      }),
    );
    fireEvent.change(await screen.findByRole('textbox'), {
      target: { value: 'win98-gold' },
    });
    expect(onChange).toHaveBeenCalledWith('win98-gold');
  });

  it("offers the local registry's tags beside the portal's images, saying where they come from", async () => {
    await renderPicker(
      'snapshotTag',
      { runtime: 'local' },
      fakeFetch({
        ...OPTIONS,
        registryTags: {
          local: {
            registry: 'registry.example/loco/snapshots',
            tags: ['demo', 'games', 'productivity'],
          },
        },
      }),
    );
    // demo is one of the portal's images: listed once, as that.
    expect(await openAndList()).toEqual([
      'demo',
      'gamesfrom registry.example/loco/snapshots',
      'productivityfrom registry.example/loco/snapshots',
    ]);
  });

  it('says the registry tags are unknown when the registry cannot be reached, and lists none', async () => {
    await renderPicker(
      'snapshotTag',
      { runtime: 'local' },
      fakeFetch({
        ...OPTIONS,
        registryTags: {
          local: {
            registry: 'registry.example/loco/snapshots',
            tags: null,
            problem: '401 from registry registry.example: it refused user "ci"',
          },
        },
      }),
    );
    expect(
      await screen.findByText(
        'The tags of registry.example/loco/snapshots are unknown (401 from registry registry.example: it refused user "ci"). Only this portal\'s own images are listed.',
      ),
    ).toBeInTheDocument();
    expect(await openAndList()).toEqual(['demo']);
  });

  it('the registry of the local runtime is not offered for Kubernetes', async () => {
    await renderPicker(
      'snapshotTag',
      { runtime: 'kubernetes' },
      fakeFetch({
        ...OPTIONS,
        registryTags: {
          local: {
            registry: 'registry.example/loco/snapshots',
            tags: ['games'],
          },
        },
      }),
    );
    expect(await openAndList()).toEqual(['win98-base', 'win98-lan-v2']);
  });

  it("offers the Helm registry's tags for Kubernetes, saying where they come from", async () => {
    await renderPicker(
      'snapshotTag',
      { runtime: 'kubernetes' },
      fakeFetch({
        ...OPTIONS,
        registryTags: {
          local: null,
          kubernetes: {
            registry: 'ghcr.io/org/snaps',
            tags: ['games', 'win98-base'],
          },
        },
      }),
    );
    expect(await openAndList()).toEqual([
      'win98-base',
      'win98-lan-v2',
      'gamesfrom ghcr.io/org/snaps',
    ]);
  });

  it('says the Helm registry tags are unknown when it cannot be reached', async () => {
    await renderPicker(
      'snapshotTag',
      { runtime: 'kubernetes' },
      fakeFetch({
        ...OPTIONS,
        registryTags: {
          local: null,
          kubernetes: {
            registry: 'ghcr.io/org/snaps',
            tags: null,
            problem: 'no answer within 5 s',
          },
        },
      }),
    );
    expect(
      await screen.findByText(
        'The tags of ghcr.io/org/snaps are unknown (no answer within 5 s). Only the tags of loco.helm.snapshotTags are listed.',
      ),
    ).toBeInTheDocument();
    expect(await openAndList()).toEqual(['win98-base', 'win98-lan-v2']);
  });

  it('offers the environments created through the portal for the destroy template, not the configured demo', async () => {
    await renderPicker('environment');
    expect(await openAndList()).toEqual(['mine (local, local)']);
  });
});
