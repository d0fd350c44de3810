/**
 * Scaffolder actions for Loco environments.
 *
 * @packageDocumentation
 */
export { scaffolderModuleLoco as default } from './module';
export { createLocoEnvironmentAction } from './actions/createEnvironment';
export { updateLocoEnvironmentAction } from './actions/updateEnvironment';
export { destroyLocoEnvironmentAction } from './actions/destroyEnvironment';
export { publishLocoSnapshotAction } from './actions/publishSnapshot';
export type { LocoActionDeps } from './actions/context';
export {
  readActionSettings,
  type LocoActionSettings,
} from './actions/settings';
export { AUDIT_EVENTS } from './actions/audit';
