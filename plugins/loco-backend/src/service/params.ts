import { z } from 'zod';

/** Path parameters shared by the HTTP routes and the VNC upgrade. */
export const environmentParam = z.object({
  env: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'invalid environment name')
    .max(40),
});

export const instanceParams = environmentParam.extend({
  index: z.coerce.number().int().min(0).max(31),
});

/** `/environments/:env/instances/:index/vnc` below the plugin's base path. */
export const VNC_PATH = /^\/environments\/([^/]+)\/instances\/([^/]+)\/vnc$/;
