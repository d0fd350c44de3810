/**
 * The Loco backend plugin.
 *
 * @packageDocumentation
 */
export { locoPlugin as default } from './plugin';
