import fs from 'node:fs/promises';
import { z } from 'zod';
import { OciError } from './ociErrors';
import type { RegistryCredentials } from './registryAuth';

/**
 * The credentials file Kubernetes mounts from a `kubernetes.io/dockerconfigjson`
 * Secret (the chart's snapshot.registryConfigSecret) and that docker, podman,
 * skopeo and oras read: `{"auths": {"<host>": {"auth": base64(user:password)}}}`
 * or with `username` and `password` fields. Keys may carry a scheme.
 */
const entrySchema = z.object({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});
const dockerConfigSchema = z.object({
  auths: z.record(z.string(), entrySchema).default({}),
});

/** The credentials `file` holds for `host`, or undefined when it names none. */
export async function credentialsFromDockerConfig(
  file: string,
  host: string,
): Promise<RegistryCredentials | undefined> {
  let parsed: z.infer<typeof dockerConfigSchema>;
  try {
    parsed = dockerConfigSchema.parse(
      JSON.parse(await fs.readFile(file, 'utf8')),
    );
  } catch (error) {
    throw new OciError(
      `cannot read the registry credentials in ${file}: ${
        error instanceof SyntaxError ? 'not JSON' : (error as Error).message
      }`,
    );
  }
  for (const [key, entry] of Object.entries(parsed.auths)) {
    const keyHost = key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
    if (keyHost !== host) continue;
    if (entry.username && entry.password) {
      return { username: entry.username, password: entry.password };
    }
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        return {
          username: decoded.slice(0, colon),
          password: decoded.slice(colon + 1),
        };
      }
    }
    throw new OciError(
      `${file} has an entry for ${host} without a username and password`,
    );
  }
  return undefined;
}
