import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { LocoConfirmName, validateConfirmName } from './LocoConfirmName';
import {
  LocoEnvironmentName,
  validateEnvironmentName,
} from './LocoEnvironmentName';
import { LocoOptionPicker } from './LocoOptionPicker';
import { LocoOwnerPicker } from './LocoOwnerPicker';

/** The `LocoOptionPicker` form field for the new frontend system. */
export const locoOptionPickerField = createFormField({
  name: 'LocoOptionPicker',
  component: LocoOptionPicker,
});

/** The `LocoConfirmName` form field: type the environment's name to confirm. */
export const locoConfirmNameField = createFormField({
  name: 'LocoConfirmName',
  component: LocoConfirmName,
  validation: validateConfirmName,
});

/** The `LocoEnvironmentName` form field: a new environment's name, checked by rule and against existing ones. */
export const locoEnvironmentNameField = createFormField({
  name: 'LocoEnvironmentName',
  component: LocoEnvironmentName,
  validation: validateEnvironmentName,
});

/** The `LocoOwnerPicker` form field: the owner, starting as the signed-in user. */
export const locoOwnerPickerField = createFormField({
  name: 'LocoOwnerPicker',
  component: LocoOwnerPicker,
});
