import useAsync from 'react-use/esm/useAsync';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import TextField from '@material-ui/core/TextField';

/**
 * The catalog module's mark on environments defined in the backend's config
 * (plugins/catalog-backend-module-loco, LOCO_DEFINED_IN_ANNOTATION): they come
 * back at every start, so they are not offered for destruction.
 */
const DEFINED_IN_ANNOTATION = 'loco.dev/defined-in';

/**
 * Which list a LocoOptionPicker offers.
 *
 * @public
 */
export type LocoOption = 'runtime' | 'snapshotTag' | 'cluster' | 'environment';

/** GET /api/loco/options (loco-node's ProvisioningOptions). */
interface ProvisioningOptions {
  runtimes: string[];
  snapshotTags: Record<string, string[]>;
  clusters: Array<{ name: string; namespaces: string[] }>;
}

const RUNTIME_LABELS: Record<string, string> = {
  local: "Local — QEMU emulators on the portal's host",
  kubernetes: 'Kubernetes — a Helm release of the Loco chart',
};

interface Choice {
  value: string;
  label: string;
}

/** The choices for one option, given the server's lists and the rest of the form. */
export function choicesFor(
  option: LocoOption,
  options: ProvisioningOptions,
  environments: Array<{ name: string; runtime: string; location: string }>,
  runtime: string | undefined,
): Choice[] | undefined {
  switch (option) {
    case 'runtime':
      return options.runtimes.map(r => ({
        value: r,
        label: RUNTIME_LABELS[r] ?? r,
      }));
    case 'cluster':
      return options.clusters.map(c => ({ value: c.name, label: c.name }));
    case 'environment':
      return environments.map(e => ({
        value: e.name,
        label: `${e.name} (${e.runtime}, ${e.location})`,
      }));
    case 'snapshotTag': {
      const tags = options.snapshotTags[runtime ?? 'local'] ?? [];
      // An empty Kubernetes list means any tag of the registry: free text.
      return tags.length ? tags.map(t => ({ value: t, label: t })) : undefined;
    }
    default:
      return [];
  }
}

/** Names of the environments the catalog marks as defined in config. */
async function configDefinedEnvironments(
  catalogApi: typeof catalogApiRef.T,
): Promise<Set<string>> {
  const { items } = await catalogApi.getEntities({
    filter: {
      kind: 'Resource',
      'spec.type': 'loco-environment',
      [`metadata.annotations.${DEFINED_IN_ANNOTATION}`]: 'app-config',
    },
    fields: ['metadata.name'],
  });
  return new Set(items.map(e => e.metadata.name));
}

/**
 * A scaffolder field whose choices come from the Loco backend
 * (`ui:options.option`: runtime, snapshotTag, cluster or environment), so the
 * form offers exactly what this portal has configured.
 *
 * @public
 */
export const LocoOptionPicker = (
  props: FieldExtensionComponentProps<string, { option?: LocoOption }>,
) => {
  const {
    schema,
    uiSchema,
    formData,
    onChange,
    rawErrors,
    required,
    formContext,
    idSchema,
  } = props;
  const option = uiSchema['ui:options']?.option ?? 'runtime';
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const catalogApi = useApi(catalogApiRef);
  const runtime: string | undefined = formContext?.formData?.runtime;

  const state = useAsync(async () => {
    const base = await discoveryApi.getBaseUrl('loco');
    const get = async (path: string) => {
      const response = await fetchApi.fetch(`${base}${path}`);
      if (!response.ok) throw await ResponseError.fromResponse(response);
      return response.json();
    };
    const [options, envs, fromConfig] = await Promise.all([
      get('/options') as Promise<ProvisioningOptions>,
      option === 'environment'
        ? get('/environments')
        : Promise.resolve({ items: [] }),
      option === 'environment'
        ? configDefinedEnvironments(catalogApi)
        : Promise.resolve(new Set<string>()),
    ]);
    const environments = (
      envs.items as Array<{ name: string; runtime: string; location: string }>
    ).filter(e => !fromConfig.has(e.name));
    return { options, environments };
  }, [option]);

  const choices = state.value
    ? choicesFor(option, state.value.options, state.value.environments, runtime)
    : [];
  const id = idSchema?.$id ?? `loco-${option}`;
  const nothingToOffer =
    option === 'environment' && Boolean(state.value) && choices?.length === 0;
  let helper = schema.description;
  if (state.error)
    helper = `Could not load the choices: ${state.error.message}`;
  else if (nothingToOffer)
    helper =
      'No environment created through the portal (environments defined in the configuration are not offered)';
  const error = (rawErrors?.length ?? 0) > 0 || Boolean(state.error);

  if (choices === undefined) {
    return (
      <TextField
        id={id}
        label={schema.title}
        value={formData ?? ''}
        onChange={e => onChange(e.target.value || undefined)}
        required={required}
        error={error}
        helperText={helper}
        margin="normal"
        fullWidth
      />
    );
  }
  return (
    <FormControl margin="normal" required={required} error={error} fullWidth>
      <InputLabel id={`${id}-label`}>{schema.title}</InputLabel>
      <Select
        labelId={`${id}-label`}
        id={id}
        value={formData ?? ''}
        disabled={state.loading}
        onChange={e => onChange((e.target.value as string) || undefined)}
      >
        {choices.map(c => (
          <MenuItem key={c.value} value={c.value}>
            {c.label}
          </MenuItem>
        ))}
      </Select>
      {helper && <FormHelperText>{helper}</FormHelperText>}
    </FormControl>
  );
};
