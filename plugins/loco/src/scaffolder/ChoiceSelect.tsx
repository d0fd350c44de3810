import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import InputLabel from '@material-ui/core/InputLabel';
import ListItemText from '@material-ui/core/ListItemText';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';

/** One entry of a form's drop-down: what people read, and the raw value. */
export interface Choice {
  value: string;
  label: string;
  /** Shown under the label and in brackets once chosen (e.g. an entity ref). */
  detail?: string;
}

/**
 * The drop-down the Loco form fields share: sentences to choose from, the
 * raw value in brackets once chosen, a helper line for reasons.
 */
export function ChoiceSelect(props: {
  id: string;
  title?: string;
  value: string | undefined;
  choices: Choice[];
  onChange: (value: string | undefined) => void;
  loading: boolean;
  required?: boolean;
  error: boolean;
  helper?: string;
}) {
  const { id, title, value, choices, onChange, loading, helper } = props;
  return (
    <FormControl
      margin="normal"
      required={props.required}
      error={props.error}
      fullWidth
    >
      <InputLabel id={`${id}-label`}>{title}</InputLabel>
      <Select
        labelId={`${id}-label`}
        id={id}
        value={value ?? ''}
        disabled={loading}
        onChange={e => onChange((e.target.value as string) || undefined)}
        // The closed box shows the sentence; the raw value follows in brackets.
        renderValue={chosen => {
          const choice = choices.find(c => c.value === chosen);
          return choice?.detail && choice.detail !== choice.label
            ? `${choice.label} (${choice.detail})`
            : String(chosen ?? '');
        }}
      >
        {choices.map(c => (
          <MenuItem key={c.value} value={c.value}>
            <ListItemText primary={c.label} secondary={c.detail} />
          </MenuItem>
        ))}
      </Select>
      {helper && <FormHelperText>{helper}</FormHelperText>}
    </FormControl>
  );
}
