// What the image test needs from the portal, bundled by portalClient.ts: the
// portal's own Kubernetes runtime client, and the fake API server it talks to.
export { KubernetesRuntime } from '../../../plugins/loco-node/src/kubernetes/KubernetesRuntime';
export { LocoMetrics } from '../../../plugins/loco-node/src/metrics/LocoMetrics';
export { FakeKubernetesApiServer } from '../../../plugins/loco-node/src/kubernetes/__testUtils__/FakeKubernetesApiServer';
export {
  agentSecret,
  emulatorPod,
  emulatorStatefulSet,
} from '../../../plugins/loco-node/src/kubernetes/__testUtils__/emulatorObjects';
export {
  AGENT_CONTROL_ROUTES,
  agentAuthorization,
} from '../../../plugins/loco-common/src/agent';
