// What fakeCluster.ts needs from the portal's test code, bundled (the sources
// import without extensions, which Node's own TypeScript loading cannot follow).
export { FakeKubernetesApiServer } from '../../../plugins/loco-node/src/kubernetes/__testUtils__/FakeKubernetesApiServer';
export {
  agentSecret,
  emulatorPod,
  emulatorStatefulSet,
  podFromStatefulSet,
} from '../../../plugins/loco-node/src/kubernetes/__testUtils__/emulatorObjects';
export { makeTestCertificates } from '../../../plugins/loco-node/src/kubernetes/__testUtils__/testCertificates';
