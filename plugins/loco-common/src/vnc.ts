/**
 * The contract between the Loco tab's tiles and the backend's VNC gateway:
 * where a screen's WebSocket lives, how it carries the user's token, and the
 * close codes a tile explains to its user.
 */

/**
 * Browsers cannot set headers on WebSockets, so the token rides in a subprotocol with this prefix.
 *
 * @public
 */
export const VNC_TOKEN_PROTOCOL_PREFIX = 'backstage-token.';

/**
 * Path of an instance's VNC WebSocket below the Loco plugin's base URL.
 *
 * @public
 */
export function vncPath(environment: string, index: number): string {
  return `/environments/${encodeURIComponent(
    environment,
  )}/instances/${index}/vnc`;
}

/**
 * Query parameter: `viewOnly=true` gives a user who may control the instance a
 * session that cannot type (the gateway drops its input), for watching.
 *
 * @public
 */
export const VNC_VIEW_ONLY_PARAM = 'viewOnly';

/**
 * WebSocket close codes of a VNC session.
 *
 * @public
 */
export const VNC_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  /**
   * The user has as many screens open as the gateway allows. Sent after the
   * handshake, because a browser never sees the HTTP status of a refused
   * upgrade; the reason says how many.
   */
  tooManySessions: 1008,
  serverError: 1011,
  /** Application range: no message from the viewer for the idle timeout. */
  idle: 4000,
} as const;

/**
 * Path of an instance's sound WebSocket below the Loco plugin's base URL: the
 * same authentication as the screen's ({@link VNC_TOKEN_PROTOCOL_PREFIX}) and
 * the same permission (whoever may watch may listen). Each binary message is
 * PCM in {@link VNC_AUDIO_FORMAT}; nothing arrives while the guest is silent.
 *
 * @public
 */
export function vncAudioPath(environment: string, index: number): string {
  return `/environments/${encodeURIComponent(
    environment,
  )}/instances/${index}/audio`;
}

/**
 * The one PCM format the gateway asks QEMU for and relays: signed 16-bit
 * little-endian, interleaved stereo (QEMU sums both channels into mono
 * without halving, so stereo it is), 44.1 kHz (QEMU drops clients asking
 * above 48 kHz).
 *
 * @public
 */
export const VNC_AUDIO_FORMAT = {
  encoding: 's16le',
  channels: 2,
  sampleRate: 44100,
} as const;

/**
 * The emulated sound cards an environment may ask for (local config's
 * `sound`, the chart's `emulator.sound`, the agent's `LOCO_SOUND`), with
 * QEMU's device for each. `none` switches sound off: no card, and the PC
 * speaker has no audio backend, so a listening tile stays silent. `sb16` is
 * what Windows 98 and Lego Loco expect.
 *
 * @public
 */
export const SOUND_DEVICES = {
  none: undefined,
  sb16: 'sb16',
  ac97: 'AC97',
  es1370: 'ES1370',
} as const;

/** @public */
export type SoundCard = keyof typeof SOUND_DEVICES;

/** @public */
export const SOUND_CARDS = Object.keys(SOUND_DEVICES) as [
  SoundCard,
  ...SoundCard[],
];
