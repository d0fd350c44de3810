// What vm.ts needs from the portal to start QEMU as production does, bundled
// by bundle.ts: the local runtime's command line and LAN addresses.
export {
  instanceMac,
  lanEndpoint,
} from '../../../plugins/loco-node/src/local/lanAddress';
export {
  buildQemuArgs,
  multicastNetdev,
} from '../../../plugins/loco-node/src/local/qemuArgs';
