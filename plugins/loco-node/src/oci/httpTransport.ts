import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { OciError } from './ociErrors';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a stream whose length the headers state (Content-Length). */
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

/** How long a connection may stay silent before the request fails. */
const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;

/**
 * One HTTP exchange with node's own client (no fetch: blobs of gigabytes
 * stream to disk with plain stream backpressure and no web-stream copies).
 * GET and HEAD follow redirects, as registries send blobs to storage
 * elsewhere (S3, a CDN); the Authorization header is dropped when the host
 * changes, so registry credentials never reach the storage service.
 */
export async function send(
  request: HttpRequest,
): Promise<http.IncomingMessage> {
  let url = request.url;
  let headers = { ...request.headers };
  for (let hop = 0; ; hop++) {
    const response = await exchange({ ...request, url, headers });
    const location = response.headers.location;
    const redirect =
      response.statusCode !== undefined &&
      [301, 302, 303, 307, 308].includes(response.statusCode) &&
      location &&
      (request.method === 'GET' || request.method === 'HEAD');
    if (!redirect) return response;
    response.resume();
    if (hop >= MAX_REDIRECTS) {
      throw new OciError(`too many redirects from ${request.url.host}`);
    }
    const next = new URL(location, url);
    if (next.host !== url.host) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    url = next;
  }
}

function exchange(request: HttpRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = request.url.protocol === 'https:' ? https : http;
    const req = lib.request(request.url, {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(
        new OciError(
          `registry ${request.url.host} did not answer for ${
            IDLE_TIMEOUT_MS / 1000
          } s`,
        ),
      ),
    );
    req.once('response', resolve);
    req.once('error', error =>
      reject(
        error instanceof OciError || (error as Error).name === 'AbortError'
          ? error
          : new OciError(
              `cannot reach registry ${request.url.host}: ${
                (error as Error).message
              }`,
            ),
      ),
    );
    const body = request.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.once('error', error => req.destroy(error));
      body.pipe(req);
    }
  });
}

/** The whole body as text, refusing more than `limit` bytes (manifests, errors, tokens). */
export async function readText(
  response: http.IncomingMessage,
  limit = 4 * 1024 * 1024,
): Promise<string> {
  return (await readBytes(response, limit)).toString('utf8');
}

/** The whole body, refusing more than `limit` bytes. */
export async function readBytes(
  response: http.IncomingMessage,
  limit: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.destroy();
      throw new OciError(`registry answer larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
