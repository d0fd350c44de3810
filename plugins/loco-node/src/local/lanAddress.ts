import { createHash } from 'node:crypto';

/**
 * Every environment gets its own multicast group and port, derived from its
 * name, so environments never hear each other's frames. A local portal also
 * passes its `scope` (its run directory, one per state directory): two
 * portals on one host - a developer's `npm start` and an e2e run, say - may
 * both have an environment of one name, and their LANs must not meet.
 */
export function lanEndpoint(
  environment: string,
  scope?: string,
): {
  group: string;
  port: number;
} {
  const h = createHash('sha256')
    .update(scope === undefined ? environment : `${scope}\0${environment}`)
    .digest();
  return {
    group: `239.77.${h[0]}.${h[1] === 0 ? 1 : h[1]}`,
    port: 20000 + (h.readUInt16BE(2) % 20000),
  };
}

/**
 * A locally administered MAC unique per instance of an environment:
 * 52:54:00 (QEMU's prefix), one byte of the environment's hash, then the index.
 */
export function instanceMac(environment: string, index: number): string {
  const h = createHash('sha256').update(environment).digest();
  const bytes = [0x52, 0x54, 0x00, h[0], (index >> 8) & 0xff, index & 0xff];
  return bytes.map(b => b.toString(16).padStart(2, '0')).join(':');
}
