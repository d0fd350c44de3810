import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { DemoSignInPage } from './DemoSignInPage';

/**
 * Sign-in for the demo portal: the backend only serves signed-in users, so
 * the app must sign in before it can show anything. The guest or one of the
 * demo players (see DemoSignInPage); swap in your real provider here.
 */
export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    SignInPageBlueprint.make({
      params: { loader: async () => props => <DemoSignInPage {...props} /> },
    }),
  ],
});
