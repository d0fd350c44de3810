import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  LocoRuntimes,
  locoRuntimeServiceRef,
} from '@loco-portal/plugin-loco-node';
import type { EnvironmentSpec } from '@loco-portal/plugin-loco-node';
import { locoPlugin } from '../plugin';
import { FakeEmulatorRuntime } from './FakeEmulatorRuntime';
import { RecordingAuditor } from './RecordingAuditor';

export interface LocoTestBackendOptions {
  /** What the runtime double serves; by default loco-demo with 2 instances. */
  environments?: EnvironmentSpec[];
  /**
   * Decides each permission request by its name and the asking user's entity
   * ref. Without it Backstage's default test permissions allow everything.
   */
  permit?: (permission: string, userEntityRef?: string) => boolean;
  /** More root config beside `app.baseUrl: http://localhost:3000`. */
  config?: JsonObject;
  /** More features to start beside the plugin (other plugins, services). */
  features?: Parameters<typeof startTestBackend>[0]['features'];
}

/**
 * The loco backend plugin in a real Backstage test backend, with the runtime
 * double, a recording auditor and the mock auth services. Requests without a
 * token count as unauthenticated, not as a default user.
 */
export async function startLocoTestBackend(
  options: LocoTestBackendOptions = {},
) {
  const runtime = new FakeEmulatorRuntime(
    options.environments ?? [
      { name: 'loco-demo', instances: 2, storageMode: 'ephemeral' },
    ],
  );
  const audit = new RecordingAuditor();
  const { permit } = options;
  const backend = await startTestBackend({
    features: [
      locoPlugin,
      audit.factory,
      createServiceFactory({
        service: locoRuntimeServiceRef,
        deps: {},
        factory: () => new LocoRuntimes([runtime]),
      }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      ...(permit
        ? [
            createServiceFactory({
              service: coreServices.permissions,
              deps: {},
              factory: () =>
                mockServices.permissions.mock({
                  authorize: async (requests, { credentials }) => {
                    const user = (
                      credentials.principal as { userEntityRef?: string }
                    ).userEntityRef;
                    return requests.map(r => ({
                      result: permit(r.permission.name, user)
                        ? AuthorizeResult.ALLOW
                        : AuthorizeResult.DENY,
                    })) as any;
                  },
                }),
            }),
          ]
        : []),
      mockServices.rootConfig.factory({
        data: {
          ...options.config,
          app: { baseUrl: 'http://localhost:3000' },
        },
      }),
      ...(options.features ?? []),
    ],
  });
  const port = (backend.server.address() as { port: number }).port;
  return { backend, server: backend.server, port, runtime, audit };
}
