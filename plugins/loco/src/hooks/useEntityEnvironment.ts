import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useInterval from 'react-use/esm/useInterval';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { LOCO_ENVIRONMENT_ANNOTATION } from '@loco-portal/plugin-loco-common';
import { locoApiRef } from '../api/LocoApi';

/**
 * The Loco environment named by the current entity's annotation, refreshed
 * every `refreshMs`. `environment` is undefined when the entity has no
 * annotation; `value` keeps the last answer while a refresh is under way.
 */
export function useEntityEnvironment(refreshMs: number) {
  const { entity } = useEntity();
  const environment =
    entity.metadata.annotations?.[LOCO_ENVIRONMENT_ANNOTATION];
  const locoApi = useApi(locoApiRef);
  const state = useAsyncRetry(
    async () => (environment ? locoApi.getEnvironment(environment) : undefined),
    [locoApi, environment],
  );
  useInterval(state.retry, refreshMs);
  return { environment, ...state };
}
