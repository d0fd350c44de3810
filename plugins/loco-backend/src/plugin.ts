import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { locoPermissions } from '@loco-portal/plugin-loco-common';
import { locoRuntimeServiceRef } from '@loco-portal/plugin-loco-node';
import { createRouter } from './service/router';
import { VncGateway } from './service/VncGateway';

/**
 * The Loco backend plugin: environments API, VNC gateway, health.
 *
 * @public
 */
export const locoPlugin = createBackendPlugin({
  pluginId: 'loco',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        discovery: coreServices.discovery,
        runtimes: locoRuntimeServiceRef,
      },
      async init({ logger, httpAuth, httpRouter, permissions, permissionsRegistry, discovery, runtimes }) {
        permissionsRegistry.addPermissions(locoPermissions);
        const basePath = new URL(await discovery.getBaseUrl('loco')).pathname;
        const gateway = new VncGateway({ basePath, runtimes, httpAuth, permissions, logger });
        // The VNC upgrade carries its token in a WebSocket subprotocol, which the
        // default credentials barrier cannot read. Every route below this prefix
        // authenticates itself through httpAuth (the route tests enumerate them).
        httpRouter.addAuthPolicy({ path: '/environments', allow: 'unauthenticated' });
        httpRouter.use(gateway.middleware());
        httpRouter.use(await createRouter({ runtimes, httpAuth, permissions }));
      },
    });
  },
});
