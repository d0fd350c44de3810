import { createApp } from '@backstage/frontend-defaults';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { WaitForLocoEntity } from '@loco-portal/plugin-loco/alpha';
import { homeModule } from './modules/home';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

/**
 * The entity page waits for a Loco environment that exists but is not in the
 * catalog yet (the first seconds after a create), instead of "Entity not found".
 */
const entityPage = catalogPlugin.getExtension('page:catalog/entity').override({
  *factory(originalFactory) {
    const original = originalFactory();
    for (const data of original) {
      if (data.id !== coreExtensionData.reactElement.id) yield data;
    }
    yield coreExtensionData.reactElement(
      <WaitForLocoEntity>
        {original.get(coreExtensionData.reactElement)}
      </WaitForLocoEntity>,
    );
  },
});

/**
 * The catalog opens on Resources: every Loco environment (the demo included)
 * is a Resource, and the portal has no Components, so the default "component"
 * kind would greet a newcomer with an empty list.
 */
const catalog = catalogPlugin.withOverrides({
  extensions: [
    entityPage,
    catalogPlugin.getExtension('catalog-filter:catalog/kind').override({
      factory: (originalFactory, { config }) =>
        originalFactory({ config: { ...config, initialFilter: 'resource' } }),
    }),
  ],
});

/**
 * The Loco Portal app (new frontend system). Installed plugins, the Loco plugin
 * among them, are discovered from package.json (`app.packages: all`).
 */
export default createApp({
  features: [catalog, homeModule, navModule, signInModule],
});
