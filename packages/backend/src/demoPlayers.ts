import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { AuthenticationError, NotAllowedError } from '@backstage/errors';

/** The auth provider's id: `/api/auth/demo-players/refresh`, `auth.providers.demo-players`. */
export const DEMO_PLAYERS_PROVIDER = 'demo-players';

/** The header the sign-in page names the chosen player in. */
export const DEMO_PLAYER_HEADER = 'x-loco-demo-player';

/**
 * Demo players: like Backstage's guest provider (no password, for a demo on
 * one machine or a LAN), but for several people at once. Whoever opens the
 * portal picks one of the configured players, a catalog User in the `default`
 * namespace, and is signed in as that User (its groups give ownership). Off
 * outside `NODE_ENV=development` unless `dangerouslyAllowOutsideDevelopment`,
 * the guest provider's own switch. Replace it with a real provider to deploy.
 */
export const demoPlayersAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async () => ({ profile: {} }),
  initialize({ config }) {
    return {
      allowed:
        process.env.NODE_ENV === 'development' ||
        config.getOptionalBoolean('dangerouslyAllowOutsideDevelopment') ===
          true,
      players: new Set(config.getOptionalStringArray('users') ?? []),
    };
  },
  async authenticate({ req }, { allowed, players }) {
    if (!allowed) {
      throw new NotAllowedError(
        `The ${DEMO_PLAYERS_PROVIDER} provider is for development; set auth.providers.${DEMO_PLAYERS_PROVIDER}.dangerouslyAllowOutsideDevelopment to use it elsewhere`,
      );
    }
    const player = req.header(DEMO_PLAYER_HEADER) ?? '';
    // Only the configured players: not any User the catalog happens to have.
    if (!players.has(player)) {
      throw new AuthenticationError(`'${player}' is not a demo player`);
    }
    return { result: { player } };
  },
});

export default createBackendModule({
  pluginId: 'auth',
  moduleId: 'demo-players-provider',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: DEMO_PLAYERS_PROVIDER,
          factory: createProxyAuthProviderFactory({
            authenticator: demoPlayersAuthenticator,
            // The catalog User must exist: its entity gives the seat holder's
            // name and picture, and its groups.
            signInResolver: async ({ result }, ctx) =>
              ctx.signInWithCatalogUser({
                entityRef: { kind: 'user', name: result.player },
              }),
          }),
        });
      },
    });
  },
});
