import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  type BasicPermission,
} from '@backstage/plugin-permission-common';
import type { Request } from 'express';

export interface PermissionCheckServices {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
}

/**
 * Authenticates a request as a user or a service and throws NotAllowedError
 * unless it holds `permission`. `allowLimitedAccess` also admits the user
 * cookie (for <img> badges), only where a route asks for it.
 */
export async function requirePermission(
  { httpAuth, permissions }: PermissionCheckServices,
  req: Request,
  permission: BasicPermission,
  { allowLimitedAccess = false }: { allowLimitedAccess?: boolean } = {},
) {
  // Explicit `allow`: without it httpAuth returns "none" credentials instead of failing.
  const credentials = await httpAuth.credentials(req, {
    allow: ['user', 'service'],
    allowLimitedAccess,
  });
  const [decision] = await permissions.authorize([{ permission }], {
    credentials,
  });
  if (decision.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(`Missing permission ${permission.name}`);
  }
  return credentials;
}
