import type {
  FieldExtensionComponentProps,
  FieldExtensionOptions,
} from '@backstage/plugin-scaffolder-react';
import TextField from '@material-ui/core/TextField';

/**
 * `ui:options.matches`: the form field whose value must be typed again
 * (default `name`). Not `field`: rjsf reads `ui:options.field` as `ui:field`.
 */
type ConfirmOptions = { matches?: string };
type Validation = NonNullable<FieldExtensionOptions['validation']>;

function confirmedField(uiSchema: unknown): string {
  const options = (uiSchema as { 'ui:options'?: ConfirmOptions } | undefined)?.[
    'ui:options'
  ];
  return options?.matches ?? 'name';
}

/** The error for a typed confirmation, or undefined when it matches (exact, as GitHub's deletions). */
export function confirmationError(
  typed: string | undefined,
  expected: unknown,
): string | undefined {
  if (typeof expected !== 'string' || !expected) {
    return 'Choose the environment first';
  }
  if (typed !== expected) return `Type ${expected} to confirm`;
  return undefined;
}

/**
 * A text box that starts empty and asks for the chosen environment's name,
 * typed exactly, before a destructive template may go on: a slip of the
 * mouse cannot confirm it.
 */
export const LocoConfirmName = (
  props: FieldExtensionComponentProps<string, ConfirmOptions>,
) => {
  const { schema, uiSchema, formData, onChange, rawErrors, formContext } =
    props;
  const expected = formContext?.formData?.[confirmedField(uiSchema)];
  const error = (rawErrors?.length ?? 0) > 0;
  const prompt =
    typeof expected === 'string' && expected
      ? `Type ${expected} to confirm. ${schema.description ?? ''}`.trim()
      : 'Choose the environment first, then type its name here.';
  return (
    <TextField
      id={props.idSchema?.$id ?? 'loco-confirm-name'}
      label={schema.title}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value || undefined)}
      required={props.required}
      error={error}
      helperText={error ? rawErrors?.join(' ') : prompt}
      inputProps={{ autoComplete: 'off', spellCheck: false }}
      margin="normal"
      fullWidth
    />
  );
};

/** The scaffolder's validation of the field: refuses to go on unless the names match. */
export const validateConfirmName: Validation = (data, field, context) => {
  const expected = (context.formData as Record<string, unknown> | undefined)?.[
    confirmedField(context.uiSchema)
  ];
  const problem = confirmationError(data as string | undefined, expected);
  if (problem) field.addError(problem);
};
