import { startTransition, useEffect, useState } from 'react';
import {
  Content,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
} from '@backstage/core-components';
import {
  configApiRef,
  useApi,
  type IdentityApi,
  type SignInPageProps,
} from '@backstage/core-plugin-api';
import { Button, Grid, Typography } from '@material-ui/core';

/** Where the choice is kept, so a reload signs the same person in again. */
export const SIGNED_IN_AS_KEY = 'loco-portal:signed-in-as';
const GUEST = 'guest';
/** packages/backend/src/demoPlayers.ts: the provider and its header. */
const PLAYERS_PROVIDER = 'demo-players';
const PLAYER_HEADER = 'x-loco-demo-player';

/**
 * Forgets the choice on sign-out, so the next visitor chooses again. The
 * identity itself is kept (it has more methods than IdentityApi declares,
 * which the app's identity proxy still calls).
 */
export function forgetOnSignOut(identity: IdentityApi): IdentityApi {
  const signOut = identity.signOut.bind(identity);
  identity.signOut = async () => {
    localStorage.removeItem(SIGNED_IN_AS_KEY);
    await signOut();
  };
  return identity;
}

function Chooser({
  players,
  error,
  onChoose,
}: {
  players: string[];
  error?: Error;
  onChoose(choice: string): void;
}) {
  return (
    <Page themeId="home">
      <Header title="Loco Portal" subtitle="Who is playing?" />
      <Content>
        {error && (
          <Typography color="error" paragraph>
            Sign-in failed: {error.message}
          </Typography>
        )}
        <Grid container spacing={2}>
          <Grid item xs={12} sm={6} md={3}>
            <InfoCard
              title="Guest"
              actions={
                <Button
                  color="primary"
                  variant="outlined"
                  onClick={() => onChoose(GUEST)}
                >
                  Enter
                </Button>
              }
            >
              <Typography variant="body1">
                The portal's host: watches, plays and manages.
              </Typography>
            </InfoCard>
          </Grid>
          {players.map(player => (
            <Grid item xs={12} sm={6} md={3} key={player}>
              <InfoCard
                title={player}
                actions={
                  <Button
                    color="primary"
                    variant="outlined"
                    onClick={() => onChoose(player)}
                  >
                    Sign in as {player}
                  </Button>
                }
              >
                <Typography variant="body1">
                  A demo player: one person per browser.
                </Typography>
              </InfoCard>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
}

/**
 * The demo portal's sign-in: Backstage's guest, or one of the demo players
 * (`auth.providers.demo-players.users`), so several people on one portal are
 * different users (seats, audit). Both are Backstage proxy providers without a
 * password; swap in a real provider to deploy.
 */
export function DemoSignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const players =
    config.getOptionalStringArray(`auth.providers.${PLAYERS_PROVIDER}.users`) ??
    [];
  const [choice, setChoice] = useState(
    () => localStorage.getItem(SIGNED_IN_AS_KEY) ?? undefined,
  );
  const [error, setError] = useState<Error | undefined>();

  if (!choice) {
    return (
      <Chooser
        players={players}
        error={error}
        onChoose={next => {
          localStorage.setItem(SIGNED_IN_AS_KEY, next);
          // A transition: the sign-in page may suspend while it loads its texts.
          startTransition(() => {
            setError(undefined);
            setChoice(next);
          });
        }}
      />
    );
  }
  const asGuest = choice === GUEST;
  return (
    <ProxiedSignInPage
      {...props}
      provider={asGuest ? GUEST : PLAYERS_PROVIDER}
      headers={asGuest ? undefined : { [PLAYER_HEADER]: choice }}
      onSignInSuccess={identity =>
        props.onSignInSuccess(forgetOnSignOut(identity))
      }
      ErrorComponent={({ error: failure }) => (
        <Failed
          error={failure}
          onShown={() => {
            localStorage.removeItem(SIGNED_IN_AS_KEY);
            setError(failure);
            setChoice(undefined);
          }}
        />
      )}
    />
  );
}

/** A failed sign-in goes back to the chooser, saying why. */
function Failed({ error, onShown }: { error?: Error; onShown(): void }) {
  useEffect(onShown, [error, onShown]);
  return null;
}
