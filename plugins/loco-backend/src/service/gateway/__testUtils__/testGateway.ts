import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { LocoRuntimes } from '@loco-portal/plugin-loco-node';
import { RecordingAuditor } from '../../../__testUtils__/RecordingAuditor';
import { GATEWAY_DEFAULTS, type GatewaySettings } from '../gatewayConfig';
import { VncGateway } from '../VncGateway';

/** The app's origin the test gateways accept. */
export const ORIGIN = 'http://localhost:3000';
/** The default mock user: may watch. */
export const VIEWER = 'user:default/mock';
/** A user who may control. */
export const PLAYER = 'user:default/player';
/** Another user who may control (seats: two players). */
export const PLAYER_2 = 'user:default/player2';

/**
 * A real VncGateway with Backstage's mock auth (viewers may watch, only
 * PLAYER and PLAYER_2 may control) and an auditor that records its events.
 */
export function createTestGateway(options: {
  runtimes: LocoRuntimes;
  settings?: Partial<GatewaySettings>;
  unclaimedUpgradeTimeoutMs?: number;
}) {
  const auditor = new RecordingAuditor();
  const gateway = new VncGateway({
    basePath: '/api/loco',
    allowedOrigin: ORIGIN,
    runtimes: options.runtimes,
    httpAuth: mockServices.httpAuth({
      defaultCredentials: mockCredentials.none(),
    }),
    permissions: mockServices.permissions.mock({
      authorize: async (requests, authorizeOptions) => {
        const user = (
          authorizeOptions.credentials.principal as { userEntityRef?: string }
        ).userEntityRef;
        return requests.map(r => ({
          result:
            r.permission.name === 'loco.environment.read' ||
            user === PLAYER ||
            user === PLAYER_2
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        })) as any;
      },
    }),
    logger: mockServices.logger.mock(),
    auditor,
    settings: { ...GATEWAY_DEFAULTS, ...options.settings },
    unclaimedUpgradeTimeoutMs: options.unclaimedUpgradeTimeoutMs,
  });
  return { gateway, auditor };
}
