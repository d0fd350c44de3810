/**
 * Catalog module for Loco environments: an entity provider that makes every
 * environment, local or Kubernetes, a `Resource` of type `loco-environment`.
 *
 * @packageDocumentation
 */
export { catalogModuleLoco as default } from './module';
export {
  LocoEntityProvider,
  DEFAULT_OWNER,
  ownerRef,
  type LocoEntityProviderOptions,
} from './LocoEntityProvider';
