/**
 * The environment name rule and the snapshot tag rule, defined once: the
 * scaffolder's inputs (zod), the chart's values.schema.json (tests/chart
 * checks its patterns equal these) and the emulator agent all use them, so an
 * input one accepts is never refused by another after Helm has started.
 *
 * The patterns are plain RegExp sources without look-arounds or flags, so that
 * JSON Schema validators in Go (Helm) read them exactly as JavaScript does.
 */

/**
 * An environment name is a Helm release name, a label value, a catalog entity
 * name and the first part of Service names (`<name>-lego-loco-cluster...`).
 * Service names are RFC 1035 labels, so it starts with a letter: "9lan" would
 * pass a DNS-1123 check and then fail as a Service.
 *
 * @public
 */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * At most 40 characters: the chart's resource names append suffixes (the
 * chart name, "-lan-31") and must stay within 63.
 *
 * @public
 */
export const ENVIRONMENT_NAME_MAX_LENGTH = 40;

/**
 * The name rule in words, for error messages and form help.
 *
 * @public
 */
export const ENVIRONMENT_NAME_RULE = `lower-case letters, digits and dashes, at most ${ENVIRONMENT_NAME_MAX_LENGTH} characters, starting with a letter and ending with a letter or digit`;

/**
 * A snapshot tag is an OCI tag the emulator pulls (REGISTRY:TAG, with the OCI client)
 * and the name QEMU saves the guest under (savevm). OCI allows a leading "_"
 * and 128 characters; the emulator agent takes a letter or digit first and at
 * most 64, and this is the one rule everything uses.
 *
 * @public
 */
export const SNAPSHOT_TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The tag rule in words.
 *
 * @public
 */
export const SNAPSHOT_TAG_RULE =
  'letters, digits, ".", "_" and "-", at most 64 characters, starting with a letter or digit';

/**
 * Where snapshots live: an OCI repository without scheme, optionally with a
 * registry host and port, e.g. `registry.example.com:5000/loco/snapshots`
 * (the chart's values.schema.json snapshot.registry pattern is the same).
 *
 * @public
 */
export const SNAPSHOT_REGISTRY_PATTERN =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/**
 * Why `name` is not a valid environment name, or undefined when it is.
 *
 * @public
 */
export function environmentNameProblem(name: string): string | undefined {
  if (
    name.length > ENVIRONMENT_NAME_MAX_LENGTH ||
    !ENVIRONMENT_NAME_PATTERN.test(name)
  ) {
    return `"${name}" is not a valid environment name: ${ENVIRONMENT_NAME_RULE}`;
  }
  return undefined;
}

/**
 * Why `tag` is not a valid snapshot tag, or undefined when it is.
 *
 * @public
 */
export function snapshotTagProblem(tag: string): string | undefined {
  if (!SNAPSHOT_TAG_PATTERN.test(tag)) {
    return `"${tag}" is not a valid snapshot tag: ${SNAPSHOT_TAG_RULE}`;
  }
  return undefined;
}
