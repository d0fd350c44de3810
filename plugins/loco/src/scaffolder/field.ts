import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { LocoConfirmName, validateConfirmName } from './LocoConfirmName';
import { LocoOptionPicker } from './LocoOptionPicker';

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
