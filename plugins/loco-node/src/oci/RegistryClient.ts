import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { Readable } from 'node:stream';
import {
  checkReference,
  isLoopbackHost,
  parseRepository,
  type OciRepository,
} from './reference';
import { readText, send, type HttpRequest } from './httpTransport';
import {
  imageManifestSchema,
  MANIFEST_ACCEPT,
  OCI_MANIFEST,
  type ImageManifest,
} from './manifest';
import { OciError, registryErrorOf } from './ociErrors';
import { RegistryAuth, type RegistryCredentials } from './registryAuth';

export interface RegistryClientOptions {
  credentials?: RegistryCredentials;
  /** Plain HTTP instead of HTTPS; default: only for loopback hosts. */
  plainHttp?: boolean;
}

type Access = 'pull' | 'push';

interface ClientRequest {
  method: HttpRequest['method'];
  /** A path under the registry (`/v2/...`) or an absolute upload URL. */
  target: string;
  access: Access;
  headers?: Record<string, string>;
  /** Made afresh for a retry after an authentication challenge. */
  body?: () => Buffer | Readable;
  signal?: AbortSignal;
}

export interface PulledManifest {
  digest: string;
  manifest: ImageManifest;
}

/**
 * One OCI repository of a registry, spoken to with the distribution API v2:
 * manifests, tags, blob reads and uploads, with anonymous, basic or token
 * authentication (see RegistryAuth). Blob transfers to and from files are in
 * blobDownload.ts and blobUpload.ts; they use `request` below.
 */
export class RegistryClient {
  readonly repository: OciRepository;
  private readonly base: URL;
  private readonly auth: RegistryAuth;
  private readonly username?: string;

  constructor(
    repository: string | OciRepository,
    options: RegistryClientOptions = {},
  ) {
    this.repository =
      typeof repository === 'string' ? parseRepository(repository) : repository;
    const plain = options.plainHttp ?? isLoopbackHost(this.repository.host);
    this.base = new URL(
      `${plain ? 'http' : 'https'}://${this.repository.host}`,
    );
    this.auth = new RegistryAuth(this.repository.host, options.credentials);
    this.username = options.credentials?.username;
  }

  /** `host/repository`, as users write it. */
  get name(): string {
    return `${this.repository.host}/${this.repository.repository}`;
  }

  /** An absolute URL for a path or an upload location the registry gave. */
  url(target: string): URL {
    return new URL(target, this.base);
  }

  /** The repository's own API path, e.g. `/v2/loco/snapshots/blobs/<digest>`. */
  path(rest: string): string {
    return `/v2/${this.repository.repository}/${rest}`;
  }

  async getManifest(
    reference: string,
    signal?: AbortSignal,
  ): Promise<PulledManifest> {
    checkReference(reference);
    const response = await this.request({
      method: 'GET',
      target: this.path(`manifests/${reference}`),
      access: 'pull',
      headers: { accept: MANIFEST_ACCEPT },
      signal,
    });
    const text = await this.expect(response, [200], `manifest ${reference}`);
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    const claimed = response.headers['docker-content-digest'];
    if (
      (reference.startsWith('sha256:') && reference !== digest) ||
      (typeof claimed === 'string' &&
        claimed.startsWith('sha256:') &&
        claimed !== digest)
    ) {
      throw new OciError(
        `manifest ${reference} from ${this.name} does not match its digest (got ${digest})`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OciError(`manifest ${reference} from ${this.name} is not JSON`);
    }
    const parsed = imageManifestSchema.safeParse(json);
    if (!parsed.success) {
      throw new OciError(
        `${this.name}:${reference} is not an OCI image manifest (${parsed.error.issues[0]?.message})`,
      );
    }
    return { digest, manifest: parsed.data };
  }

  /** Stores `manifest` under `reference` (a tag); returns its digest. */
  async putManifest(
    reference: string,
    manifest: ImageManifest,
    signal?: AbortSignal,
  ): Promise<string> {
    checkReference(reference);
    const body = Buffer.from(JSON.stringify(manifest));
    const response = await this.request({
      method: 'PUT',
      target: this.path(`manifests/${reference}`),
      access: 'push',
      headers: {
        'content-type': manifest.mediaType ?? OCI_MANIFEST,
        'content-length': String(body.length),
      },
      body: () => body,
      signal,
    });
    await this.expect(response, [201], `storing manifest ${reference}`);
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
  }

  /** Every tag of the repository (all pages); empty when it does not exist yet. */
  async listTags(signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let target: string | undefined = this.path('tags/list?n=1000');
    while (target) {
      const response = await this.request({
        method: 'GET',
        target,
        access: 'pull',
        signal,
      });
      if (response.statusCode === 404) {
        const text = await readText(response);
        if (registryErrorOf(text)?.code === 'NAME_UNKNOWN') return [];
        throw this.failure(response, text, 'listing tags');
      }
      const text = await this.expect(response, [200], 'listing tags');
      const page = JSON.parse(text) as { tags?: unknown };
      if (Array.isArray(page.tags)) {
        tags.push(
          ...page.tags.filter((t): t is string => typeof t === 'string'),
        );
      }
      // RFC 5988 Link header: </v2/<name>/tags/list?last=x&n=1000>; rel="next"
      const link = response.headers.link;
      target =
        typeof link === 'string'
          ? link.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1]
          : undefined;
    }
    return tags;
  }

  /**
   * The URL and headers `request` sends first, with the credentials it has
   * already earned for this access: for blobDownload's direct read, which
   * talks to the socket itself and leaves challenges to `request`.
   */
  firstAttempt(req: Pick<ClientRequest, 'target' | 'access' | 'headers'>): {
    url: URL;
    headers: Record<string, string>;
  } {
    const url = this.url(req.target);
    const headers: Record<string, string> = { ...req.headers };
    const authorization =
      url.host === this.base.host
        ? this.auth.headerFor(this.scope(req.access))
        : undefined;
    if (authorization) headers.authorization = authorization;
    return { url, headers };
  }

  private scope(access: Access): string {
    return `repository:${this.repository.repository}:${
      access === 'push' ? 'pull,push' : 'pull'
    }`;
  }

  /**
   * Sends one request, answering an authentication challenge once. 401s
   * the challenge cannot cure become OciErrors that say why.
   */
  async request(req: ClientRequest): Promise<http.IncomingMessage> {
    const url = this.url(req.target);
    const scope = this.scope(req.access);
    const ownHost = url.host === this.base.host;
    let authorization = this.firstAttempt(req).headers.authorization;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...req.headers };
      if (authorization) headers.authorization = authorization;
      const response = await send({
        method: req.method,
        url,
        headers,
        body: req.body?.(),
        signal: req.signal,
      });
      if (response.statusCode !== 401 || !ownHost || attempt > 0) {
        if (response.statusCode === 401 && ownHost) {
          response.resume();
          throw new OciError(
            `401 from registry ${this.repository.host}: it refused ${
              this.username ? `user "${this.username}"` : 'anonymous access'
            } for ${scope}`,
            401,
            'UNAUTHORIZED',
          );
        }
        return response;
      }
      response.resume();
      authorization = await this.auth.answer(
        response.headers['www-authenticate'],
        scope,
        authorization !== undefined,
        req.signal,
      );
    }
  }

  /** The body as text when the status is one of `ok`; otherwise an OciError. */
  async expect(
    response: http.IncomingMessage,
    ok: number[],
    what: string,
  ): Promise<string> {
    const text = await readText(response);
    if (!ok.includes(response.statusCode ?? 0))
      throw this.failure(response, text, what);
    return text;
  }

  failure(
    response: http.IncomingMessage,
    body: string,
    what: string,
  ): OciError {
    const status = response.statusCode ?? 0;
    const error = registryErrorOf(body);
    const detail = error
      ? `${error.code}${error.message ? `: ${error.message}` : ''}`
      : '';
    return new OciError(
      `${status} from registry ${this.repository.host} (${what} in ${
        this.repository.repository
      }${detail ? `; ${detail}` : ''})`,
      status,
      error?.code,
    );
  }
}
