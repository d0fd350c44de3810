import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError } from '@backstage/errors';

const execFileAsync = promisify(execFile);

export interface DiskInfo {
  format: string;
  virtualSize: number;
  /** Names of the internal snapshots the image holds (qcow2 only). */
  snapshots: string[];
}

/**
 * `qemu-img info` of a disk. `-U` (force share) lets it read an image a running
 * QEMU holds locked; what it reads is then only as fresh as the last flush.
 */
export async function diskInfo(file: string): Promise<DiskInfo> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('qemu-img', [
      'info',
      '-U',
      '--output=json',
      file,
    ]));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new InputError(
      `Cannot read disk image ${file}: ${stderr || String(error)}`,
    );
  }
  const info = JSON.parse(stdout) as {
    format: string;
    'virtual-size': number;
    snapshots?: Array<{ name: string }>;
  };
  return {
    format: info.format,
    virtualSize: info['virtual-size'],
    snapshots: (info.snapshots ?? []).map(s => s.name),
  };
}

/**
 * Checks a configured base image: it exists, is qcow2 or raw, and holds the
 * configured snapshot (internal snapshots exist only in qcow2).
 */
export async function validateBaseImage(
  tag: string,
  image: { path: string; snapshot?: string },
): Promise<DiskInfo> {
  const info = await diskInfo(image.path);
  if (info.format !== 'qcow2' && info.format !== 'raw') {
    throw new InputError(
      `Image "${tag}" (${image.path}) is ${info.format}; use qcow2 or raw (qemu-img convert -O qcow2 ...)`,
    );
  }
  if (image.snapshot && !info.snapshots.includes(image.snapshot)) {
    throw new InputError(
      `Image "${tag}" (${image.path}) has no snapshot "${
        image.snapshot
      }"; it has: ${info.snapshots.join(', ') || 'none'}`,
    );
  }
  return info;
}
