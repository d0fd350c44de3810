import {
  MAX_INSTANCES,
  parseInstanceIndex,
} from '@loco-portal/plugin-loco-common';
import { z } from 'zod';

/** Path parameters shared by the HTTP routes and the VNC upgrade. */
export const environmentParam = z.object({
  env: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'invalid environment name')
    .max(40),
});

/** One rule for every route: see `parseInstanceIndex` (no `0x1`, `1e0`, `+1`, `%20`). */
const instanceIndex = z.string().transform((text, ctx) => {
  const index = parseInstanceIndex(text);
  if (index === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `instance index must be a whole number from 0 to ${
        MAX_INSTANCES - 1
      }`,
    });
    return z.NEVER;
  }
  return index;
});

export const instanceParams = environmentParam.extend({ index: instanceIndex });

/** `/environments/:env/instances/:index/vnc` below the plugin's base path. */
const VNC_PATH = /^\/environments\/([^/]+)\/instances\/([^/]+)\/vnc$/;

/**
 * The instance a VNC upgrade's path (below the base path) names, decoded and
 * validated exactly like express decodes the HTTP routes' parameters, so both
 * accept and refuse the same paths. Undefined when it names none.
 */
export function parseVncPath(path: string) {
  return parseInstancePath(VNC_PATH, path);
}

/** `/environments/:env/instances/:index/audio` below the plugin's base path (an instance's sound). */
const AUDIO_PATH = /^\/environments\/([^/]+)\/instances\/([^/]+)\/audio$/;

/** The instance a sound upgrade's path names, by the same rules as {@link parseVncPath}. */
export function parseAudioPath(path: string) {
  return parseInstancePath(AUDIO_PATH, path);
}

function parseInstancePath(pattern: RegExp, path: string) {
  const match = pattern.exec(path);
  if (!match) return undefined;
  const parsed = instanceParams.safeParse({
    env: decodeSegment(match[1]),
    index: decodeSegment(match[2]),
  });
  return parsed.success ? parsed.data : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return ''; // malformed escapes name nothing
  }
}
