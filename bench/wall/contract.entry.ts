// What the wall bench needs from loco-common, bundled (its index imports
// without extensions, which Node's own TypeScript loading cannot follow).
export {
  MAX_INSTANCES,
  VNC_TOKEN_PROTOCOL_PREFIX,
} from '../../plugins/loco-common/src';
