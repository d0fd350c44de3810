import { z } from 'zod';
import { send, readText } from './httpTransport';
import { OciError } from './ociErrors';

/** A registry user (basic auth, or the user a token service is asked for). */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export const registryCredentialsSchema = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(4096),
});

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Reads `Bearer realm="...",service="...",scope="a:b:pull,push"` (RFC 7235). */
export function parseChallenge(
  header: string | undefined,
): Challenge | undefined {
  const match = header?.match(/^\s*(\w+)\s*(.*)$/);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const p of match[2].matchAll(
    /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g,
  )) {
    params[p[1].toLowerCase()] = (p[2] ?? p[3]).replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

const tokenAnswerSchema = z
  .object({ token: z.string().min(1) })
  .or(z.object({ access_token: z.string().min(1) }));

/**
 * The Authorization header for one registry: none (anonymous), basic, or a
 * bearer token fetched from the token service the registry's 401 challenge
 * names (the distribution spec's token flow; the credentials, when given,
 * go to the token service as basic auth). Headers are kept per scope
 * (`repository:loco/snapshots:pull`), so a pull token is not reused to push.
 */
export class RegistryAuth {
  private readonly headers = new Map<string, string>();

  constructor(
    private readonly host: string,
    private readonly credentials?: RegistryCredentials,
  ) {}

  /** The header to send for `scope`, once a challenge has been answered. */
  headerFor(scope: string): string | undefined {
    return this.headers.get(scope);
  }

  /** Answers a 401's challenge for `scope`; throws a readable error when it cannot. */
  async answer(
    wwwAuthenticate: string | undefined,
    scope: string,
    hadHeader: boolean,
    signal?: AbortSignal,
  ): Promise<string> {
    const challenge = parseChallenge(wwwAuthenticate);
    if (!challenge) {
      throw new OciError(
        `401 from registry ${
          this.host
        }: it asks for an authentication scheme this client does not speak (${
          wwwAuthenticate ?? 'no WWW-Authenticate header'
        })`,
        401,
      );
    }
    if (challenge.scheme === 'basic') {
      if (!this.credentials) {
        throw new OciError(
          `401 from registry ${this.host}: it needs a username and password and none are configured`,
          401,
        );
      }
      if (hadHeader) {
        throw new OciError(
          `401 from registry ${this.host}: it refused the username and password of user "${this.credentials.username}"`,
          401,
        );
      }
      const header = basicHeader(this.credentials);
      this.headers.set(scope, header);
      return header;
    }
    const header = `Bearer ${await this.fetchToken(challenge, scope, signal)}`;
    if (hadHeader && this.headers.get(scope) === header) {
      throw new OciError(
        `401 from registry ${this.host}: it refused the token its token service issued for ${scope}`,
        401,
      );
    }
    this.headers.set(scope, header);
    return header;
  }

  private async fetchToken(
    challenge: Challenge,
    scope: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new OciError(
        `401 from registry ${this.host}: its Bearer challenge names no token service (realm)`,
        401,
      );
    }
    const url = new URL(realm);
    if (challenge.params.service) {
      url.searchParams.set('service', challenge.params.service);
    }
    url.searchParams.set('scope', challenge.params.scope ?? scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.credentials) headers.authorization = basicHeader(this.credentials);
    const response = await send({ method: 'GET', url, headers, signal });
    const text = await readText(response, 1024 * 1024);
    if (response.statusCode !== 200) {
      const who = this.credentials
        ? `user "${this.credentials.username}"`
        : 'anonymous access (no credentials configured)';
      throw new OciError(
        `${response.statusCode} from the token service of registry ${this.host} (${url.host}) for ${who}`,
        response.statusCode,
      );
    }
    let parsed: z.infer<typeof tokenAnswerSchema>;
    try {
      parsed = tokenAnswerSchema.parse(JSON.parse(text));
    } catch {
      throw new OciError(
        `the token service of registry ${this.host} answered without a token`,
      );
    }
    return 'token' in parsed ? parsed.token : parsed.access_token;
  }
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(
    `${credentials.username}:${credentials.password}`,
  ).toString('base64')}`;
}
