import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { locoPermissions } from '@loco-portal/plugin-loco-common';
import {
  locoRuntimeServiceRef,
  readProvisioningSettings,
} from '@loco-portal/plugin-loco-node';
import { createRouter } from './service/router';
import { createMetricsRouter } from './service/metricsRouter';
import { createOptionsRouter } from './service/optionsRouter';
import { createPublishRouter } from './service/publishRouter';
import {
  createBadgesRouter,
  PUBLIC_BADGES_PATH,
} from './service/badges/badgesRouter';
import { PublicBadgeIds } from './service/badges/PublicBadgeIds';
import { VncGateway } from './service/gateway/VncGateway';
import { readGatewaySettings } from './service/gateway/gatewayConfig';
import { originOf } from './service/gateway/authorizeUpgrade';
import { SeatStore } from './service/seats/SeatStore';
import { Seats } from './service/seats/Seats';
import { SeatKeeper } from './service/seats/SeatKeeper';
import { readSeatSettings } from './service/seats/seatConfig';
import { createSeatsRouter } from './service/seats/seatsRouter';

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
        config: coreServices.rootConfig,
        lifecycle: coreServices.lifecycle,
        auditor: coreServices.auditor,
        database: coreServices.database,
      },
      async init({
        logger,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        discovery,
        runtimes,
        config,
        lifecycle,
        auditor,
        database,
      }) {
        permissionsRegistry.addPermissions(locoPermissions);
        const basePath = new URL(await discovery.getBaseUrl('loco')).pathname;
        // Seats in the database, so replicas agree and a restart keeps them.
        const seats = new Seats(
          await SeatStore.create(database),
          readSeatSettings(config),
        );
        await seats.refresh();
        const gateway = new VncGateway({
          basePath,
          // Browsers send the app's origin; without app.baseUrl, the backend serves the app.
          allowedOrigin: originOf(
            config.getOptionalString('app.baseUrl') ??
              (await discovery.getExternalBaseUrl('loco')),
          ),
          settings: readGatewaySettings(config),
          runtimes,
          httpAuth,
          permissions,
          logger,
          auditor,
        });
        // Only a seat's holder types into its instance (enforced per session).
        gateway.sessions.followSeats(seats);
        const seatKeeper = new SeatKeeper({
          seats,
          logger,
          present: () => gateway.sessions.present(),
        });
        seatKeeper.start();
        lifecycle.addShutdownHook(() => {
          seatKeeper.stop();
          gateway.close();
        });
        // The VNC upgrade carries its token in a WebSocket subprotocol, which the
        // default credentials barrier cannot read. Every route below this prefix
        // authenticates itself through httpAuth (the route tests enumerate them).
        httpRouter.addAuthPolicy({
          path: '/environments',
          allow: 'unauthenticated',
        });
        httpRouter.use(gateway.middleware());
        httpRouter.use(
          await createRouter({ runtimes, httpAuth, permissions, auditor }),
        );
        httpRouter.use(
          await createPublishRouter({
            runtimes,
            httpAuth,
            permissions,
            auditor,
          }),
        );
        httpRouter.use(
          await createSeatsRouter({
            runtimes,
            httpAuth,
            permissions,
            auditor,
            seats,
          }),
        );
        httpRouter.use(
          await createMetricsRouter({ runtimes, httpAuth, permissions }),
        );
        httpRouter.use(
          await createOptionsRouter({
            runtimes,
            httpAuth,
            permissions,
            settings: readProvisioningSettings(config),
          }),
        );
        // Badges may also be read with the user cookie, so the portal can show them as <img>.
        httpRouter.addAuthPolicy({ path: '/badges', allow: 'user-cookie' });
        // Public badges: random ids, health counts only (see the README's trade-off).
        const publicBadges =
          config.getOptionalBoolean('loco.badges.public') ?? true;
        if (publicBadges) {
          httpRouter.addAuthPolicy({
            path: PUBLIC_BADGES_PATH,
            allow: 'unauthenticated',
          });
        }
        httpRouter.use(
          await createBadgesRouter({
            runtimes,
            httpAuth,
            permissions,
            logger,
            externalBaseUrl: await discovery.getExternalBaseUrl('loco'),
            publicIds: publicBadges
              ? await PublicBadgeIds.create(database)
              : undefined,
          }),
        );
      },
    });
  },
});
