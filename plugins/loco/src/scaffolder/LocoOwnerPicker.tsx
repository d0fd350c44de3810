import { useEffect } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { ChoiceSelect } from './ChoiceSelect';

interface Owner {
  ref: string;
  label: string;
}

/** A user or group as people call it: its title or display name, else its name. */
function ownerLabel(entity: Entity): string {
  const profile = (entity.spec as { profile?: { displayName?: string } })
    ?.profile;
  return entity.metadata.title ?? profile?.displayName ?? entity.metadata.name;
}

/** The signed-in user first ("You"), then the catalog's groups and users. */
export function ownerChoices(me: string, entities: Entity[]): Owner[] {
  const others = entities
    .map(e => ({ ref: stringifyEntityRef(e), label: ownerLabel(e) }))
    .filter(o => o.ref !== me)
    .sort((a, b) => a.label.localeCompare(b.label));
  return [{ ref: me, label: 'You' }, ...others];
}

/**
 * The owner of a new environment, starting as the signed-in user (an empty
 * owner was one more thing a newcomer had to work out), with the catalog's
 * groups and users to choose from instead.
 */
export const LocoOwnerPicker = (
  props: FieldExtensionComponentProps<string>,
) => {
  const { schema, formData, onChange, rawErrors, required, idSchema } = props;
  const identityApi = useApi(identityApiRef);
  const catalogApi = useApi(catalogApiRef);
  const state = useAsync(async () => {
    const [identity, { items }] = await Promise.all([
      identityApi.getBackstageIdentity(),
      catalogApi.getEntities({
        filter: { kind: ['Group', 'User'] },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
          'spec.profile.displayName',
        ],
      }),
    ]);
    return ownerChoices(identity.userEntityRef, items);
  }, []);

  const me = state.value?.[0]?.ref;
  useEffect(() => {
    if (!formData && me) onChange(me);
  }, [formData, me, onChange]);

  const id = idSchema?.$id ?? 'loco-owner';
  const choices = [...(state.value ?? [])];
  // A value typed into the API or kept from an earlier visit stays choosable.
  if (formData && !choices.some(c => c.ref === formData))
    choices.push({ ref: formData, label: formData });
  const error = (rawErrors?.length ?? 0) > 0 || Boolean(state.error);
  const helper = state.error
    ? `Could not load the owners: ${state.error.message}`
    : schema.description;
  return (
    <ChoiceSelect
      id={id}
      title={schema.title}
      value={formData}
      choices={choices.map(c => ({
        value: c.ref,
        label: c.label,
        detail: c.ref,
      }))}
      onChange={onChange}
      loading={state.loading}
      required={required}
      error={error}
      helper={helper}
    />
  );
};
