/**
 * Limits and parameter rules shared by the portal's API, its forms and the
 * runtimes. Defined once here so that every entry point agrees.
 */

/**
 * Most emulators one environment may have (the wall's largest size).
 *
 * @public
 */
export const MAX_INSTANCES = 32;

/**
 * An instance index as it appears in a URL: plain decimal digits without
 * sign, exponent, hex prefix, spaces or leading zeros. `Number()` would read
 * `0x1`, `1e0`, `+1` and `' '` too, so each of them could name an instance.
 */
const INSTANCE_INDEX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * The index `text` names, or undefined when it is not a valid index.
 *
 * @public
 */
export function parseInstanceIndex(text: string): number | undefined {
  if (!INSTANCE_INDEX.test(text)) return undefined;
  const index = Number(text);
  return index < MAX_INSTANCES ? index : undefined;
}
