import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

/**
 * The Loco Portal app (new frontend system). Installed plugins, the Loco plugin
 * among them, are discovered from package.json (`app.packages: all`).
 */
export default createApp({
  features: [catalogPlugin, navModule, signInModule],
});
