import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from './manifest';
import { OciDigestError, OciError } from './ociErrors';
import type { RegistryClient } from './RegistryClient';
import { readBytes, readText } from './httpTransport';
import { readBodyDirect } from './directBody';

export interface TransferProgress {
  digest: string;
  /** Bytes of this blob on disk so far (resumed bytes included). */
  done: number;
  total: number;
}

export interface DownloadOptions {
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

/** Progress is told at most every this many bytes (and at the end). */
const PROGRESS_STEP = 4 * 1024 * 1024;

/**
 * Streams one blob to `destination`, verifying its sha256 digest and size.
 * Bytes arrive in `<destination>.partial`; a later call resumes from there
 * with an HTTP Range request (a cut connection costs only what was not yet
 * written). Only a verified blob is renamed into place; a blob whose bytes
 * do not match its digest is deleted and reported, never kept. The body is
 * read straight from the socket when the registry serves it plainly
 * (directBody.ts), otherwise through node's http client.
 */
export async function downloadBlob(
  client: RegistryClient,
  blob: Pick<Descriptor, 'digest' | 'size'>,
  destination: string,
  options: DownloadOptions = {},
): Promise<void> {
  const partial = `${destination}.partial`;
  const hash = createHash('sha256');
  const offset = await resumableBytes(partial, blob.size, hash);
  if (offset === blob.size) return finish(blob, partial, destination, hash);
  const tell = progressTeller(blob, offset, options.onProgress);
  const transfer = { client, blob, partial, offset, hash, tell, options };
  try {
    if (!(await directTransfer(transfer))) await httpTransfer(transfer);
  } catch (error) {
    if (options.signal?.aborted || error instanceof OciError) throw error;
    throw new OciError(
      `download of blob ${blob.digest} from ${
        client.repository.host
      } broke off (${
        (error as Error).message
      }); the next attempt resumes where it stopped`,
    );
  }
  tell(0, true);
  return finish(blob, partial, destination, transfer.hash);
}

interface Transfer {
  client: RegistryClient;
  blob: Pick<Descriptor, 'digest' | 'size'>;
  partial: string;
  /** Bytes already in `partial` (and in `hash`). */
  offset: number;
  hash: Hash;
  tell: (bytes: number, last?: boolean) => void;
  options: DownloadOptions;
}

const blobRequest = (t: Transfer) => ({
  target: t.client.path(`blobs/${t.blob.digest}`),
  access: 'pull' as const,
  headers: (t.offset > 0 ? { range: `bytes=${t.offset}-` } : {}) as Record<
    string,
    string
  >,
});

/** The fast path for a plainly served body; false when the registry answered otherwise. */
async function directTransfer(t: Transfer): Promise<boolean> {
  const file = await fsp.open(t.partial, t.offset > 0 ? 'r+' : 'w');
  try {
    return await readBodyDirect(
      { ...t.client.firstAttempt(blobRequest(t)), signal: t.options.signal },
      {
        fd: file.fd,
        position: t.offset,
        accepts: (status, headers) =>
          (status === 200 && t.offset === 0) ||
          (status === 206 &&
            rangeStart(headers.get('content-range')) === t.offset),
        observe: chunk => {
          t.hash.update(chunk);
          t.tell(chunk.length);
        },
      },
    );
  } finally {
    await file.close();
  }
}

/** Any answer, through node's http client: challenges, redirects, chunked bodies. */
async function httpTransfer(t: Transfer): Promise<void> {
  const { client, blob, options } = t;
  const response = await client.request({
    ...blobRequest(t),
    method: 'GET',
    signal: options.signal,
  });
  if (response.statusCode === 200) {
    if (t.offset > 0) {
      t.offset = 0; // the registry ignored the range: start over
      t.hash = createHash('sha256');
      t.tell = progressTeller(blob, 0, options.onProgress);
    }
  } else if (response.statusCode === 206) {
    if (rangeStart(response.headers['content-range']) !== t.offset) {
      response.resume();
      throw new OciError(
        `registry ${client.repository.host} resumed blob ${blob.digest} at the wrong offset`,
      );
    }
  } else {
    const text = await readText(response).catch(() => '');
    throw client.failure(response, text, `blob ${blob.digest}`);
  }
  const writer = fs.createWriteStream(t.partial, {
    flags: t.offset > 0 ? 'a' : 'w',
    highWaterMark: 1024 * 1024,
  });
  // Hashing and counting beside the pipe, not in a Transform stage: one
  // stream hop less per chunk.
  response.on('data', (chunk: Buffer) => {
    t.hash.update(chunk);
    t.tell(chunk.length);
  });
  try {
    await pipeline(response, writer, { signal: options.signal });
  } finally {
    // The partial file must be final before anyone resumes from it.
    if (!writer.closed) await once(writer, 'close');
  }
}

/** The first byte position of a `Content-Range: bytes N-M/T` header. */
function rangeStart(header: string | undefined): number | undefined {
  const match = /^bytes (\d+)-/.exec(header ?? '');
  return match ? Number(match[1]) : undefined;
}

async function finish(
  blob: Pick<Descriptor, 'digest' | 'size'>,
  partial: string,
  destination: string,
  hash: Hash,
): Promise<void> {
  const size = (await fsp.stat(partial)).size;
  const actual = `sha256:${hash.digest('hex')}`;
  if (size !== blob.size || actual !== blob.digest) {
    await fsp.rm(partial, { force: true });
    throw new OciDigestError(
      size !== blob.size
        ? `blob ${blob.digest} has ${size} bytes, expected ${blob.size}; deleted`
        : `blob ${blob.digest} is corrupt (its bytes hash to ${actual}); deleted`,
    );
  }
  await fsp.rename(partial, destination);
}

/** Bytes of an earlier attempt worth keeping, fed into `hash`; 0 when none. */
async function resumableBytes(
  partial: string,
  size: number,
  hash: Hash,
): Promise<number> {
  const stat = await fsp.stat(partial).catch(() => null);
  if (!stat || stat.size === 0) return 0;
  if (stat.size > size) {
    await fsp.rm(partial, { force: true });
    return 0;
  }
  for await (const chunk of fs.createReadStream(partial, {
    end: stat.size - 1,
    highWaterMark: 1024 * 1024,
  })) {
    hash.update(chunk as Buffer);
  }
  return stat.size;
}

/** Tells progress every PROGRESS_STEP bytes, and once more at the end. */
function progressTeller(
  blob: Pick<Descriptor, 'digest' | 'size'>,
  start: number,
  onProgress: DownloadOptions['onProgress'],
): (bytes: number, last?: boolean) => void {
  let done = start;
  let told = start;
  return (bytes, last = false) => {
    done += bytes;
    if (onProgress && (last || done - told >= PROGRESS_STEP)) {
      told = done;
      onProgress({ digest: blob.digest, done, total: blob.size });
    }
  };
}

/** A small blob (a config) in memory, refused above `limit` or when its digest does not match. */
export async function readBlob(
  client: RegistryClient,
  blob: Pick<Descriptor, 'digest' | 'size'>,
  limit = 1024 * 1024,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (blob.size > limit) {
    throw new OciError(`blob ${blob.digest} is larger than ${limit} bytes`);
  }
  const response = await client.request({
    method: 'GET',
    target: client.path(`blobs/${blob.digest}`),
    access: 'pull',
    signal,
  });
  if (response.statusCode !== 200) {
    const text = await readText(response).catch(() => '');
    throw client.failure(response, text, `blob ${blob.digest}`);
  }
  const bytes = await readBytes(response, limit);
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== blob.digest) {
    throw new OciDigestError(
      `blob ${blob.digest} is corrupt (its bytes hash to ${actual})`,
    );
  }
  return bytes;
}
