import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { locoApiRef } from './api/LocoApi';
import { LocoClient } from './api/LocoClient';
import { isLocoAvailable } from './plugin';

const locoApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: locoApiRef,
      deps: {
        discoveryApi: discoveryApiRef,
        fetchApi: fetchApiRef,
        identityApi: identityApiRef,
      },
      factory: deps => new LocoClient(deps),
    }),
});

/** The Loco tab on entities annotated with `loco.dev/environment`. */
const locoEntityContent = EntityContentBlueprint.make({
  params: {
    path: 'loco',
    title: 'Loco',
    filter: isLocoAvailable,
    loader: () =>
      import('./components/LocoTab/LocoTab').then(m => <m.LocoTab />),
  },
});

/** The Loco health card on the overview of the same entities. */
const locoHealthCard = EntityCardBlueprint.make({
  name: 'health',
  params: {
    filter: isLocoAvailable,
    loader: () =>
      import('./components/HealthCard/EntityLocoHealthCard').then(m => (
        <m.EntityLocoHealthCard />
      )),
  },
});

/** The scaffolder field that offers this portal's runtimes, snapshot tags, clusters and environments. */
const locoOptionPicker = FormFieldBlueprint.make({
  name: 'loco-option-picker',
  params: {
    field: () =>
      import('./scaffolder/field').then(m => m.locoOptionPickerField),
  },
});

/** The scaffolder field that asks for the environment's name before a destroy. */
const locoConfirmName = FormFieldBlueprint.make({
  name: 'loco-confirm-name',
  params: {
    field: () => import('./scaffolder/field').then(m => m.locoConfirmNameField),
  },
});

/** The scaffolder field for a new environment's name. */
const locoEnvironmentName = FormFieldBlueprint.make({
  name: 'loco-environment-name',
  params: {
    field: () =>
      import('./scaffolder/field').then(m => m.locoEnvironmentNameField),
  },
});

/** The scaffolder field for a new environment's owner (the signed-in user first). */
const locoOwnerPicker = FormFieldBlueprint.make({
  name: 'loco-owner-picker',
  params: {
    field: () => import('./scaffolder/field').then(m => m.locoOwnerPickerField),
  },
});

export { WaitForLocoEntity } from './components/WaitForEntity/WaitForLocoEntity';

/**
 * The Loco plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'loco',
  extensions: [
    locoApi,
    locoEntityContent,
    locoHealthCard,
    locoOptionPicker,
    locoConfirmName,
    locoEnvironmentName,
    locoOwnerPicker,
  ],
});
