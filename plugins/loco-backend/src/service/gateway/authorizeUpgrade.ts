import type { IncomingMessage } from 'node:http';
import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  locoEnvironmentReadPermission,
  locoInstanceControlPermission,
  VNC_TOKEN_PROTOCOL_PREFIX,
} from '@loco-portal/plugin-loco-common';
import type { Request } from 'express';

export type UpgradeDecision =
  | { status: 200; user: string; allowInput: boolean }
  | { status: 401; reason: string }
  /** Refused a known user (origin, permission): `user` is who asked. */
  | { status: 403; reason: string; user: string };

export interface AuthorizeUpgradeOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Origin of `app.baseUrl`, e.g. `http://localhost:3000`. */
  allowedOrigin: string;
}

/**
 * Who is asking and what they may do, decided once per upgrade.
 *
 * Origin: browsers always send it on WebSocket handshakes, and a page on
 * another site could otherwise ride the user's cookie (cross-site WebSocket
 * hijacking), so a present Origin must be the app's. A missing Origin is
 * accepted only with an explicit token (subprotocol or Authorization header):
 * that is a non-browser client, which no foreign page can drive. Cookie-only
 * upgrades need a matching Origin.
 */
export async function authorizeUpgrade(
  req: IncomingMessage,
  options: AuthorizeUpgradeOptions,
): Promise<UpgradeDecision> {
  const token = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map(p => p.trim())
    .find(p => p.startsWith(VNC_TOKEN_PROTOCOL_PREFIX));
  if (token) {
    req.headers.authorization = `Bearer ${token.slice(
      VNC_TOKEN_PROTOCOL_PREFIX.length,
    )}`;
  }
  const hasToken = Boolean(req.headers.authorization);

  let credentials;
  try {
    credentials = await options.httpAuth.credentials(req as Request, {
      allow: ['user'],
      allowLimitedAccess: true,
    });
  } catch {
    return { status: 401, reason: 'not signed in' };
  }
  const user = credentials.principal.userEntityRef;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== options.allowedOrigin) {
    return { status: 403, reason: `origin ${origin} is not the app's`, user };
  }
  if (origin === undefined && !hasToken) {
    return {
      status: 403,
      reason: 'cookie authentication needs an Origin header',
      user,
    };
  }
  const [read, control] = await options.permissions.authorize(
    [
      { permission: locoEnvironmentReadPermission },
      { permission: locoInstanceControlPermission },
    ],
    { credentials },
  );
  if (read.result !== AuthorizeResult.ALLOW) {
    return {
      status: 403,
      reason: `missing ${locoEnvironmentReadPermission.name}`,
      user,
    };
  }
  return {
    status: 200,
    user,
    allowInput: control.result === AuthorizeResult.ALLOW,
  };
}

/** The origin (scheme://host[:port]) of a base URL, the form browsers send. */
export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}
