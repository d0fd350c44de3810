import { render, waitFor } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('asks an unknown visitor to sign in as the guest or a demo player', async () => {
    // No backend in this test: the silent sign-in attempt fails at once, as it
    // does for a first visit, and the guest sign-in card must be offered.
    jest
      .spyOn(globalThis, 'fetch')
      .mockRejectedValue(new TypeError('no backend in unit tests'));
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test', baseUrl: 'http://localhost:7007' },
            backend: { baseUrl: 'http://localhost:7007' },
            auth: { providers: { 'demo-players': { users: ['player-1'] } } },
          },
          context: 'test',
        },
      ] as any,
    };
    const rendered = render(App.createRoot());
    // The app loads its features lazily; on a busy machine that takes a while.
    await waitFor(
      () =>
        expect(
          rendered.getByRole('button', { name: /enter/i }),
        ).toBeInTheDocument(),
      {
        timeout: 30_000,
      },
    );
    expect(
      rendered.getByRole('button', { name: 'Sign in as player-1' }),
    ).toBeInTheDocument();
  }, 60_000);
});
