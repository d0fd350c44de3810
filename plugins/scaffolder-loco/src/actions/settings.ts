import type { RootConfigService } from '@backstage/backend-plugin-api';
import {
  readProvisioningSettings,
  type ProvisioningSettings,
} from '@loco-portal/plugin-loco-node';

/**
 * What the actions check against: the shared provisioning settings, plus local storage.
 *
 * @public
 */
export interface LocoActionSettings extends ProvisioningSettings {
  /**
   * Whether `loco.local.hostPath` is set: the local runtime refuses a
   * `hostpath` environment without it, so the actions refuse it first (dry
   * runs included). Read here because ProvisioningSettings does not carry it.
   */
  localHostPath: boolean;
}

/** @public */
export function readActionSettings(
  config: RootConfigService,
): LocoActionSettings {
  return {
    ...readProvisioningSettings(config),
    localHostPath: Boolean(config.getOptionalString('loco.local.hostPath')),
  };
}
