import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { LOCO_ENVIRONMENT_ANNOTATION } from '@loco-portal/plugin-loco-common';
import { locoApiRef } from './api/LocoApi';
import { LocoClient } from './api/LocoClient';

const locoApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: locoApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef, identityApi: identityApiRef },
      factory: deps => new LocoClient(deps),
    }),
});

/** The Loco tab on entities annotated with `loco.dev/environment`. */
const locoEntityContent = EntityContentBlueprint.make({
  params: {
    path: 'loco',
    title: 'Loco',
    filter: entity => Boolean(entity.metadata.annotations?.[LOCO_ENVIRONMENT_ANNOTATION]),
    loader: () => import('./components/LocoTab/LocoTab').then(m => <m.LocoTab />),
  },
});

/**
 * The Loco plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'loco',
  extensions: [locoApi, locoEntityContent],
});
