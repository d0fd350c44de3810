import {
  discoveryApiRef,
  fetchApiRef,
  type ApiHolder,
} from '@backstage/core-plugin-api';
import type {
  FieldExtensionComponentProps,
  FieldExtensionOptions,
} from '@backstage/plugin-scaffolder-react';
import {
  ENVIRONMENT_NAME_MAX_LENGTH,
  ENVIRONMENT_NAME_PATTERN,
  ENVIRONMENT_NAME_RULE,
} from '@loco-portal/plugin-loco-common';
import TextField from '@material-ui/core/TextField';

type Validation = NonNullable<FieldExtensionOptions['validation']>;

/** What is wrong with a new environment's name, as a sentence, or undefined. */
export function nameProblem(name: string | undefined): string | undefined {
  if (!name) return 'Give the environment a name.';
  if (name.length > ENVIRONMENT_NAME_MAX_LENGTH) {
    return `"${name}" has ${name.length} characters; a name has at most ${ENVIRONMENT_NAME_MAX_LENGTH}.`;
  }
  if (!ENVIRONMENT_NAME_PATTERN.test(name)) {
    return `"${name}" cannot be a name: use ${ENVIRONMENT_NAME_RULE}.`;
  }
  return undefined;
}

/** Whether the Loco backend already has an environment of this name (undefined: could not tell). */
async function environmentExists(
  apis: ApiHolder,
  name: string,
): Promise<boolean | undefined> {
  const discovery = apis.get(discoveryApiRef);
  const fetchApi = apis.get(fetchApiRef);
  if (!discovery || !fetchApi) return undefined;
  const base = await discovery.getBaseUrl('loco');
  const response = await fetchApi.fetch(
    `${base}/environments/${encodeURIComponent(name)}`,
  );
  if (response.status === 404) return false;
  return response.ok ? true : undefined;
}

/**
 * The name of a new environment: the rule in words beside the box, and a
 * problem said once, as a sentence (a JSON Schema `pattern` message showed the
 * raw regular expression, twice). Its validation also asks the backend, so a
 * name in use is flagged when the user leaves the step, not after review.
 */
export const LocoEnvironmentName = (
  props: FieldExtensionComponentProps<string>,
) => {
  const { schema, formData, onChange, rawErrors, required, idSchema } = props;
  const errors = rawErrors ?? [];
  return (
    <TextField
      id={idSchema?.$id ?? 'loco-environment-name'}
      label={schema.title}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value || undefined)}
      required={required}
      error={errors.length > 0}
      // The problem itself is listed once, above the form (the template sets
      // ui:hideError): here only the rule, and not again beside the problem.
      helperText={
        errors.length > 0
          ? schema.description
          : `${schema.description ?? ''} Use ${ENVIRONMENT_NAME_RULE}.`.trim()
      }
      inputProps={{ autoComplete: 'off', spellCheck: false }}
      margin="normal"
      fullWidth
    />
  );
};

/** The scaffolder's validation of the field: the rule, then whether the name is free. */
export const validateEnvironmentName: Validation = async (
  data,
  field,
  context,
) => {
  const name = data as string | undefined;
  const problem = nameProblem(name);
  if (problem) {
    field.addError(problem);
    return;
  }
  const exists = await environmentExists(context.apiHolder, name!).catch(
    () => undefined,
  );
  if (exists) {
    field.addError(
      `An environment named "${name}" already exists: choose another name.`,
    );
  }
};
