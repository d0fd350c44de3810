/**
 * Node library of the Loco plugins: the runtime interface, the local QEMU
 * runtime, health derivation and the service ref that shares them.
 *
 * @packageDocumentation
 */
export * from './runtime/EmulatorRuntime';
export { LocoRuntimes } from './runtime/LocoRuntimes';
export { nameTakenError } from './runtime/environmentNames';
export { locoRuntimeServiceRef } from './service';
export {
  deriveInstanceHealth,
  DEFAULT_HEALTH_POLICY,
  type HealthPolicy,
} from './health/deriveInstanceHealth';
export { buildQemuArgs, type QemuLaunchSpec } from './local/qemuArgs';
export {
  environmentNameSchema,
  type LocalSnapshotsConfig,
} from './local/localConfig';
export { LocalRuntime } from './local/LocalRuntime';
export { LocoMetrics } from './metrics/LocoMetrics';
export * from './provisioning/provisioningConfig';
export {
  listRegistryTags,
  type RegistryTagList,
} from './provisioning/registryTags';
export {
  KubernetesRuntime,
  type KubernetesRuntimeOptions,
} from './kubernetes/KubernetesRuntime';
export {
  readKubernetesConfig,
  type ClusterConfig,
  type KubernetesRuntimeConfig,
} from './kubernetes/kubernetesConfig';
