import { screen } from '@testing-library/react';
import { fetchApiRef } from '@backstage/core-plugin-api';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { locoApiRef } from '../../api/LocoApi';
import { environment, fakeLocoApi } from '../../__testUtils__/fixtures';
import { HealthBadge } from './HealthBadge';

jest.setTimeout(30_000);

const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg"><title>loco: 2/3 healthy</title></svg>';

/** Test double of fetchApi: records what it was asked, answers like the backend's badge route. */
function recordingFetchApi(answer: { status: number; type: string } | Error) {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (input: RequestInfo | URL) => {
      asked.push(String(input));
      if (answer instanceof Error) throw answer;
      return {
        ok: answer.status < 400,
        status: answer.status,
        headers: new Headers({ 'content-type': answer.type }),
        text: async () => SVG,
      } as unknown as Response;
    },
  };
}

async function renderBadge(
  fetchApi: ReturnType<typeof recordingFetchApi>,
  locoApi = fakeLocoApi(environment(3)),
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [locoApiRef, locoApi],
        [fetchApiRef, fetchApi],
      ]}
    >
      <HealthBadge environment="loco-demo" />
    </TestApiProvider>,
  );
  return screen.findByTestId('loco-health-badge');
}

describe('HealthBadge', () => {
  it('shows the badge fetched with the user credentials, as a data: URL', async () => {
    const fetchApi = recordingFetchApi({ status: 200, type: 'image/svg+xml' });
    await renderBadge(fetchApi);
    expect(fetchApi.asked).toEqual([
      'http://localhost/api/loco/badges/environments/loco-demo.svg',
    ]);
    expect(
      screen.getByRole('img', { name: 'Loco health badge of loco-demo' }),
    ).toHaveAttribute(
      'src',
      `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`,
    );
  });

  it('offers Markdown with the public address, never the portal one that needs a session', async () => {
    const badge = await renderBadge(
      recordingFetchApi({ status: 200, type: 'image/svg+xml' }),
    );
    expect(badge).toHaveTextContent(
      '![Loco health](http://localhost/api/loco/badges/public/Zm9yLXRlc3RzLW9ubHktMDA.svg)',
    );
    expect(badge).not.toHaveTextContent('badges/environments');
  });

  it('offers no Markdown when the backend has public badges turned off', async () => {
    const locoApi = fakeLocoApi(environment(3));
    locoApi.publicBadgeUrl.mockRejectedValue(
      new Error('404 public badges are turned off'),
    );
    const badge = await renderBadge(
      recordingFetchApi({ status: 200, type: 'image/svg+xml' }),
      locoApi,
    );
    expect(screen.getByRole('img')).toBeInTheDocument();
    expect(badge).not.toHaveTextContent('![Loco health]');
  });

  it('still shows the "not found" badge the backend draws for a missing environment', async () => {
    await renderBadge(
      recordingFetchApi({ status: 404, type: 'image/svg+xml' }),
    );
    expect(screen.getByRole('img').getAttribute('src')).toMatch(
      /^data:image\/svg\+xml;charset=utf-8,%3Csvg/,
    );
  });

  it('says why there is no badge when the backend cannot be reached', async () => {
    const badge = await renderBadge(
      recordingFetchApi(new Error('Failed to fetch')),
    );
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
    expect(badge).toHaveTextContent('No badge: Error: Failed to fetch');
  });
});
