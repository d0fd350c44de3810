import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { NotFoundError } from '@backstage/errors';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { locoApiRef } from '../../api/LocoApi';
import { WaitForLocoEntity } from './WaitForLocoEntity';

jest.setTimeout(30_000);

/** Test double of the catalog: the entity appears after `lookupsBeforeFound` lookups, as the catalog module publishes it late. */
function fakeCatalog(lookupsBeforeFound: number) {
  let lookups = 0;
  return {
    get lookups() {
      return lookups;
    },
    async getEntityByRef(ref: { name: string }) {
      lookups += 1;
      return lookups > lookupsBeforeFound
        ? { kind: 'Resource', metadata: { name: ref.name } }
        : undefined;
    },
  };
}

/** Test double of the Loco API: knows the given environments, 404 (a ResponseError) for others. */
function fakeLoco(known: string[]) {
  return {
    async getEnvironment(name: string) {
      if (known.includes(name)) return { name };
      throw new NotFoundError(`Environment ${name} does not exist`);
    },
  };
}

async function open(path: string, catalog: object, loco: object) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [catalogApiRef, catalog as any],
        [locoApiRef, loco as any],
      ]}
    >
      <Routes>
        <Route
          path="/catalog/:namespace/:kind/:name/*"
          element={
            <WaitForLocoEntity>
              <p>the entity page</p>
            </WaitForLocoEntity>
          }
        />
      </Routes>
    </TestApiProvider>,
    { routeEntries: [path] },
  );
}

describe('WaitForLocoEntity', () => {
  it('says it is waiting while the catalog lacks a new environment, then shows the page', async () => {
    const catalog = fakeCatalog(2);
    await open(
      '/catalog/default/resource/lab-7/loco',
      catalog,
      fakeLoco(['lab-7']),
    );
    expect(await screen.findByText('Opening lab-7…')).toBeInTheDocument();
    expect(
      await screen.findByText('the entity page', {}, { timeout: 20_000 }),
    ).toBeInTheDocument();
    expect(catalog.lookups).toBe(3);
  });

  it('shows the page (and its own "not found") at once for what the Loco backend does not have', async () => {
    await open(
      '/catalog/default/resource/gone',
      fakeCatalog(Infinity),
      fakeLoco([]),
    );
    expect(await screen.findByText('the entity page')).toBeInTheDocument();
    expect(screen.queryByText(/Opening/)).not.toBeInTheDocument();
  });
});
