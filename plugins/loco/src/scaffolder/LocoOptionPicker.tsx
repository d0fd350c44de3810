import useAsync from 'react-use/esm/useAsync';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import TextField from '@material-ui/core/TextField';
import {
  LOCO_DEFINED_IN_ANNOTATION,
  LOCO_DEFINED_IN_CONFIG,
  LOCO_ENVIRONMENT_ENTITY_TYPE,
} from '@loco-portal/plugin-loco-common';
import { capitalised, RUNTIME_WORDS } from '../words';
import { type Choice, ChoiceSelect } from './ChoiceSelect';

/**
 * Which list a LocoOptionPicker offers.
 *
 * @public
 */
export type LocoOption = 'runtime' | 'snapshotTag' | 'cluster' | 'environment';

/** What the backend knows of a registry's tags (loco-node's RegistryTagList). */
type RegistryTagList =
  | { registry: string; tags: string[] }
  | { registry: string; tags: null; problem: string };

/** GET /api/loco/options (loco-node's ProvisioningOptions, plus the registry's tags). */
interface ProvisioningOptions {
  runtimes: string[];
  snapshotTags: Record<string, string[]>;
  clusters: Array<{ name: string; namespaces: string[] }>;
  /**
   * The tags of each runtime's registry now (local: loco.local.snapshots.registry,
   * kubernetes: loco.helm.snapshotRegistry); null without one.
   */
  registryTags?: Record<string, RegistryTagList | null | undefined>;
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
        label: RUNTIME_WORDS[r] ? capitalised(RUNTIME_WORDS[r]) : r,
        detail: r,
      }));
    case 'cluster':
      return options.clusters.map(c => ({ value: c.name, label: c.name }));
    case 'environment':
      return environments.map(e => ({
        value: e.name,
        label: `${e.name} (${e.runtime}, ${e.location})`,
      }));
    case 'snapshotTag': {
      const kind = runtime ?? 'local';
      const configured = options.snapshotTags[kind] ?? [];
      // A configured tag wins over a registry tag of the same name (the
      // local runtime looks in loco.local.images first).
      const registry = options.registryTags?.[kind];
      const pulled = (registry?.tags ?? []).filter(
        t => !configured.includes(t),
      );
      const choices: Choice[] = [
        ...configured.map(t => ({ value: t, label: t })),
        ...pulled.map(t => ({
          value: t,
          label: t,
          detail: `from ${registry!.registry}`,
        })),
      ];
      // Nothing listed means any tag of the registry: free text.
      return choices.length ? choices : undefined;
    }
    default:
      return [];
  }
}

/**
 * Why the registry's tags are not offered, when they are unknown (it could
 * not be reached or refused the listing); the form never guesses them.
 */
export function registryTagsNote(
  options: ProvisioningOptions,
  runtime: string | undefined,
): string | undefined {
  const kind = runtime ?? 'local';
  const registry = options.registryTags?.[kind];
  if (!registry || registry.tags !== null) return undefined;
  const unknown = `The tags of ${registry.registry} are unknown (${registry.problem}).`;
  return options.snapshotTags[kind]?.length
    ? `${unknown} Only ${
        kind === 'local'
          ? "this portal's own images"
          : 'the tags of loco.helm.snapshotTags'
      } are listed.`
    : unknown;
}

/** Names of the environments the catalog marks as defined in config. */
async function configDefinedEnvironments(
  catalogApi: typeof catalogApiRef.T,
): Promise<Set<string>> {
  const { items } = await catalogApi.getEntities({
    filter: {
      kind: 'Resource',
      'spec.type': LOCO_ENVIRONMENT_ENTITY_TYPE,
      // Config-defined environments come back at every start: not offered.
      [`metadata.annotations.${LOCO_DEFINED_IN_ANNOTATION}`]:
        LOCO_DEFINED_IN_CONFIG,
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
  else if (option === 'snapshotTag' && state.value)
    helper = registryTagsNote(state.value.options, runtime) ?? helper;
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
    <ChoiceSelect
      id={id}
      title={schema.title}
      value={formData}
      choices={choices}
      onChange={onChange}
      loading={state.loading}
      required={required}
      error={error}
      helper={helper}
    />
  );
};
