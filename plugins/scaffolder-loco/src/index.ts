/**
 * Scaffolder actions for Loco environments.
 *
 * @packageDocumentation
 */
export { scaffolderModuleLoco as default } from './module';
export { createLocoEnvironmentAction } from './actions/createEnvironment';
