import { Suspense } from 'react';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { IdentityApi } from '@backstage/core-plugin-api';
import { DemoSignInPage, SIGNED_IN_AS_KEY } from './DemoSignInPage';

/**
 * The auth backend's proxy refresh, as a test double: answers
 * `/api/auth/<provider>/refresh` the way Backstage's proxy providers do, for
 * the player named in the demo-players header.
 */
function fakeAuthBackend() {
  const token = `h.${btoa(JSON.stringify({ exp: 4102444800 }))}.s`;
  return jest
    .spyOn(globalThis, 'fetch')
    .mockImplementation(async (url, init) => {
      const player = new Headers(init?.headers).get('x-loco-demo-player');
      const match = /\/api\/auth\/([^/]+)\/refresh/.exec(String(url));
      const ref =
        match?.[1] === 'guest'
          ? 'user:development/guest'
          : `user:default/${player}`;
      return new Response(
        JSON.stringify({
          profile: {},
          backstageIdentity: {
            token,
            identity: {
              type: 'user',
              userEntityRef: ref,
              ownershipEntityRefs: [ref],
            },
          },
        }),
        { status: 200, headers: { 'Content-Type': 'application/json' } },
      );
    });
}

describe('DemoSignInPage', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => jest.restoreAllMocks());

  it('signs a chosen player in through the demo-players provider, remembers the choice, and forgets it on sign-out', async () => {
    const backend = fakeAuthBackend();
    let signedIn: IdentityApi | undefined;
    // The app shell has a Suspense boundary; ProxiedSignInPage loads its texts lazily.
    await renderInTestApp(
      <Suspense fallback="loading">
        <DemoSignInPage onSignInSuccess={identity => (signedIn = identity)} />
      </Suspense>,
      {
        config: {
          app: { baseUrl: 'http://localhost:3000' },
          backend: { baseUrl: 'http://localhost:7007' },
          auth: { providers: { 'demo-players': { users: ['player-2'] } } },
        },
      },
    );
    expect(screen.getByRole('button', { name: 'Enter' })).toBeInTheDocument();
    fireEvent.click(
      screen.getByRole('button', { name: 'Sign in as player-2' }),
    );

    await waitFor(() => expect(signedIn).toBeDefined());
    const [url, init] = backend.mock.calls[0];
    expect(String(url)).toMatch(/\/api\/auth\/demo-players\/refresh/);
    expect(new Headers(init?.headers).get('x-loco-demo-player')).toBe(
      'player-2',
    );
    expect((await signedIn!.getBackstageIdentity()).userEntityRef).toBe(
      'user:default/player-2',
    );
    expect(localStorage.getItem(SIGNED_IN_AS_KEY)).toBe('player-2');

    await signedIn!.signOut();
    expect(localStorage.getItem(SIGNED_IN_AS_KEY)).toBeNull();
  });

  it('signs the remembered person in again without asking', async () => {
    fakeAuthBackend();
    localStorage.setItem(SIGNED_IN_AS_KEY, 'guest');
    let signedIn: IdentityApi | undefined;
    await renderInTestApp(
      <DemoSignInPage onSignInSuccess={identity => (signedIn = identity)} />,
    );
    await waitFor(() => expect(signedIn).toBeDefined());
    expect((await signedIn!.getBackstageIdentity()).userEntityRef).toBe(
      'user:development/guest',
    );
  });
});
