import { ReactNode, useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { Content, Page, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { ResponseError } from '@backstage/errors';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import { locoApiRef } from '../../api/LocoApi';

/**
 * How often to ask the catalog again. The catalog module publishes
 * environments on a 10 s schedule (plugins/catalog-backend-module-loco), so a
 * one-second poll adds at most a second to that wait.
 */
const POLL_MS = 1000;

type Check = 'checking' | 'waiting' | 'ready';

/**
 * Wraps the catalog's entity page (`/catalog/:namespace/:kind/:name`). A Loco
 * environment reaches the catalog a few seconds after the task that created
 * it ends, and the entity page would say "Entity not found" and stay there
 * (the scaffolder's links lead there at once). While the entity is missing
 * but the Loco backend has an environment of that name, this says so and
 * asks again until it is there; anything else goes to the page at once
 * (its own "not found" included).
 *
 * @alpha
 */
export const WaitForLocoEntity = (props: { children: ReactNode }) => {
  const { namespace = '', kind = '', name = '' } = useParams();
  const catalogApi = useApi(catalogApiRef);
  const locoApi = useApi(locoApiRef);
  const [check, setCheck] = useState<Check>('checking');
  const [seconds, setSeconds] = useState(0);

  useEffect(() => {
    let stopped = false;
    const started = Date.now();
    const tick = async () => {
      const entity = await catalogApi
        .getEntityByRef({ kind, namespace, name })
        .catch(() => undefined);
      if (stopped) return;
      if (entity || kind.toLowerCase() !== 'resource') {
        setCheck('ready');
        return;
      }
      const failure = await locoApi.getEnvironment(name).then(
        () => undefined,
        (error: ResponseError) => error,
      );
      if (stopped) return;
      if (failure) {
        // Not a Loco environment (or the backend cannot say): the page as is.
        setCheck('ready');
        return;
      }
      setCheck('waiting');
      setSeconds(Math.round((Date.now() - started) / 1000));
      setTimeout(tick, POLL_MS);
    };
    tick();
    return () => {
      stopped = true;
    };
  }, [catalogApi, locoApi, namespace, kind, name]);

  if (check === 'ready') return <>{props.children}</>;
  if (check === 'checking') return <Progress />;
  return (
    <Page themeId="tool">
      <Content>
        <Typography variant="h5" data-testid="loco-entity-waiting">
          Opening {name}…
        </Typography>
        <Typography>
          The environment is running; it appears in the catalog within a few
          seconds of being created, and this page opens by itself.
          {seconds > 0 ? ` (${seconds} s)` : ''}
        </Typography>
        <Progress />
      </Content>
    </Page>
  );
};
