import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Watch an environment: list it, read its health, view its screens.
 *
 * @public
 */
export const locoEnvironmentReadPermission = createPermission({
  name: 'loco.environment.read',
  attributes: { action: 'read' },
});

/**
 * Play on an instance: send keyboard/mouse input, restart it, reset it to its snapshot or restore its saved state.
 *
 * @public
 */
export const locoInstanceControlPermission = createPermission({
  name: 'loco.instance.control',
  attributes: { action: 'update' },
});

/**
 * Create, change and destroy environments, and save snapshots.
 *
 * @public
 */
export const locoEnvironmentManagePermission = createPermission({
  name: 'loco.environment.manage',
  attributes: { action: 'update' },
});

/** @public */
export const locoPermissions = [
  locoEnvironmentReadPermission,
  locoInstanceControlPermission,
  locoEnvironmentManagePermission,
];
