import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { Descriptor } from './manifest';
import { OciError } from './ociErrors';
import { readText } from './httpTransport';
import type { RegistryClient } from './RegistryClient';
import type { TransferProgress } from './blobDownload';

export type BlobSource = { file: string } | { data: Buffer };

export interface UploadOptions {
  /** Send the blob in PATCH chunks of this many bytes; default: one PUT. */
  chunkSize?: number;
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

/** The sha256 digest and size of a file or buffer (one read of the file). */
export async function describeBlob(
  source: BlobSource,
): Promise<Pick<Descriptor, 'digest' | 'size'>> {
  const hash = createHash('sha256');
  let size = 0;
  if ('data' in source) {
    hash.update(source.data);
    size = source.data.length;
  } else {
    for await (const chunk of fs.createReadStream(source.file, {
      highWaterMark: 1024 * 1024,
    })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/**
 * Uploads a blob unless the repository has it already: POST opens an
 * upload session, then either one monolithic PUT with the whole body, or
 * PATCHes of `chunkSize` bytes (Content-Range) and a closing PUT. The
 * registry checks the digest named on the closing PUT against the bytes.
 */
export async function uploadBlob(
  client: RegistryClient,
  source: BlobSource,
  options: UploadOptions = {},
): Promise<Pick<Descriptor, 'digest' | 'size'>> {
  const blob = await describeBlob(source);
  const { signal } = options;
  const head = await client.request({
    method: 'HEAD',
    target: client.path(`blobs/${blob.digest}`),
    access: 'push',
    signal,
  });
  head.resume();
  if (head.statusCode === 200) {
    options.onProgress?.({
      digest: blob.digest,
      done: blob.size,
      total: blob.size,
    });
    return blob;
  }
  let location = await nextLocation(
    client,
    await client.request({
      method: 'POST',
      target: client.path('blobs/uploads/'),
      access: 'push',
      headers: { 'content-length': '0' },
      signal,
    }),
    202,
    'opening an upload',
  );
  const chunkSize = options.chunkSize ?? blob.size;
  let done = 0;
  const tell = () =>
    options.onProgress?.({ digest: blob.digest, done, total: blob.size });
  if (chunkSize < blob.size) {
    for (let start = 0; start < blob.size; start += chunkSize) {
      const end = Math.min(start + chunkSize, blob.size) - 1;
      location = await nextLocation(
        client,
        await client.request({
          method: 'PATCH',
          target: location,
          access: 'push',
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(end - start + 1),
            'content-range': `${start}-${end}`,
          },
          body: () => slice(source, start, end),
          signal,
        }),
        202,
        `sending bytes ${start}-${end}`,
      );
      done = end + 1;
      tell();
    }
  }
  const close = client.url(location);
  close.searchParams.set('digest', blob.digest);
  const rest = blob.size - done;
  const response = await client.request({
    method: 'PUT',
    target: close.toString(),
    access: 'push',
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(rest),
    },
    body: () =>
      rest > 0
        ? slice(source, done, blob.size - 1).pipe(
            progress(n => {
              done += n;
              tell();
            }),
          )
        : Buffer.alloc(0),
    signal,
  });
  await client.expect(response, [201], `storing blob ${blob.digest}`);
  done = blob.size;
  tell();
  return blob;
}

async function nextLocation(
  client: RegistryClient,
  response: import('node:http').IncomingMessage,
  status: number,
  what: string,
): Promise<string> {
  const text = await readText(response);
  if (response.statusCode !== status)
    throw client.failure(response, text, what);
  const location = response.headers.location;
  if (!location) {
    throw new OciError(
      `registry ${client.repository.host} gave no upload location (${what})`,
    );
  }
  return client.url(location).toString();
}

function slice(source: BlobSource, start: number, end: number): Readable {
  return 'data' in source
    ? Readable.from([source.data.subarray(start, end + 1)])
    : fs.createReadStream(source.file, {
        start,
        end,
        highWaterMark: 1024 * 1024,
      });
}

/** Counts bytes as they leave, told every 4 MiB. */
function progress(tell: (bytes: number) => void): Transform {
  let pending = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending += chunk.length;
      if (pending >= 4 * 1024 * 1024) {
        tell(pending);
        pending = 0;
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (pending) tell(pending);
      callback();
    },
  });
}
