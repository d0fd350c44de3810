/**
 * The Loco frontend plugin: live emulator screens on catalog entities.
 *
 * @packageDocumentation
 */
export {
  locoPlugin,
  EntityLocoContent,
  EntityLocoHealthCard,
  isLocoAvailable,
} from './plugin';
export {
  locoApiRef,
  type LocoApi,
  type LocoActionResult,
  type LocoPublishResult,
  type LocoInstanceAction,
} from './api/LocoApi';
export { LocoClient } from './api/LocoClient';
export { HealthChip } from './components/HealthChip/HealthChip';
export {
  LocoOptionPicker,
  type LocoOption,
} from './scaffolder/LocoOptionPicker';
