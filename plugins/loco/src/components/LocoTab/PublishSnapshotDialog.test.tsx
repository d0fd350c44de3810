import { fireEvent, screen, waitFor } from '@testing-library/react';
import { ResponseError } from '@backstage/errors';
import { snapshotTagProblem } from '@loco-portal/plugin-loco-common';
import { fakeRfbs, renderLive } from '../../__testUtils__/fixtures';

jest.setTimeout(30_000);

async function openPublish(name: string) {
  fireEvent.click(screen.getByRole('button', { name: `More for ${name}` }));
  fireEvent.click(await screen.findByText('Publish snapshot…'));
  return screen.findByTestId('loco-publish-tag');
}

describe('Publish snapshot… in the tile menu', () => {
  beforeEach(() => {
    fakeRfbs().splice(0);
    window.localStorage.clear();
  });

  it('publishes the instance under a valid tag and shows the digest', async () => {
    const api = await renderLive(2);
    const input = await openPublish('loco-demo-1');
    const publish = screen.getByRole('button', { name: 'Publish' });
    expect(publish).toBeDisabled(); // no tag yet
    fireEvent.change(input, { target: { value: 'games' } });
    expect(publish).toBeEnabled();
    fireEvent.click(publish);
    await waitFor(() =>
      expect(api.publishSnapshot).toHaveBeenCalledWith('loco-demo', 1, 'games'),
    );
    expect(
      await screen.findByText(`Published as games (sha256:${'0'.repeat(64)})`),
    ).toBeInTheDocument();
  });

  it("refuses a tag loco-common's rule refuses, saying why, and sends nothing", async () => {
    const api = await renderLive(1);
    const input = await openPublish('loco-demo-0');
    fireEvent.change(input, { target: { value: 'games:v2' } });
    expect(screen.getByRole('button', { name: 'Publish' })).toBeDisabled();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(
      screen.getByText(snapshotTagProblem('games:v2')!),
    ).toBeInTheDocument();
    expect(api.publishSnapshot).not.toHaveBeenCalled();
  });

  it("shows the backend's reason when the publish fails", async () => {
    const api = await renderLive(1);
    // As LocoClient rejects: a ResponseError carrying the backend's error.
    api.publishSnapshot.mockRejectedValueOnce(
      await ResponseError.fromResponse(
        new Response(
          JSON.stringify({
            error: {
              name: 'ServiceUnavailableError',
              message:
                'publish failed: 401 from registry registry.example: it refused user "ci"',
            },
            request: { method: 'POST', url: '/x' },
            response: { statusCode: 503 },
          }),
          { status: 503, headers: { 'Content-Type': 'application/json' } },
        ),
      ),
    );
    const input = await openPublish('loco-demo-0');
    fireEvent.change(input, { target: { value: 'games' } });
    fireEvent.click(screen.getByRole('button', { name: 'Publish' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Not published: publish failed: 401 from registry registry.example: it refused user "ci"',
    );
  });

  it('is not offered to users without loco.environment.manage', async () => {
    await renderLive(1, { control: true, manage: false });
    fireEvent.click(
      screen.getByRole('button', { name: 'More for loco-demo-0' }),
    );
    expect(await screen.findByText('Restart emulator…')).toBeInTheDocument();
    expect(screen.queryByText('Publish snapshot…')).not.toBeInTheDocument();
  });
});
