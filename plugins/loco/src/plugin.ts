import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/core-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { LOCO_ENVIRONMENT_ANNOTATION } from '@loco-portal/plugin-loco-common';
import { locoApiRef } from './api/LocoApi';
import { LocoClient } from './api/LocoClient';
import { rootRouteRef } from './routes';

/**
 * The Loco plugin for the legacy frontend system.
 *
 * @public
 */
export const locoPlugin = createPlugin({
  id: 'loco',
  apis: [
    createApiFactory({
      api: locoApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: deps => new LocoClient(deps),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * The Loco entity tab (legacy frontend system).
 *
 * @public
 */
export const EntityLocoContent = locoPlugin.provide(
  createRoutableExtension({
    name: 'EntityLocoContent',
    component: () =>
      import('./components/LocoTab/LocoTab').then(m => m.LocoTab),
    mountPoint: rootRouteRef,
  }),
);

/**
 * The Loco health card for entity overview pages (legacy frontend system).
 *
 * @public
 */
export const EntityLocoHealthCard = locoPlugin.provide(
  createComponentExtension({
    name: 'EntityLocoHealthCard',
    component: {
      lazy: () =>
        import('./components/HealthCard/EntityLocoHealthCard').then(
          m => m.EntityLocoHealthCard,
        ),
    },
  }),
);

/**
 * True when an entity names a Loco environment; use it to show the tab and card.
 *
 * @public
 */
export const isLocoAvailable = (entity: Entity) =>
  Boolean(entity.metadata.annotations?.[LOCO_ENVIRONMENT_ANNOTATION]);
