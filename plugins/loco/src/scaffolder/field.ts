import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { LocoOptionPicker } from './LocoOptionPicker';

/** The `LocoOptionPicker` form field for the new frontend system. */
export const locoOptionPickerField = createFormField({
  name: 'LocoOptionPicker',
  component: LocoOptionPicker,
});
