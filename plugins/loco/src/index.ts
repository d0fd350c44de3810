/**
 * The Loco frontend plugin: live emulator screens on catalog entities.
 *
 * @packageDocumentation
 */
export { locoPlugin, EntityLocoContent, isLocoAvailable } from './plugin';
export { locoApiRef, type LocoApi } from './api/LocoApi';
export { LocoClient } from './api/LocoClient';
