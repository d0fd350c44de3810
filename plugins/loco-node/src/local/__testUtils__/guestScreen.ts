// Test helpers: reading and typing on a demo guest through the instance's own
// QMP connection (QEMU serves one QMP client at a time). Same technique as
// tests/emulator-image/helpers/screen.ts: the demo guest runs the VGA text
// console, whose character buffer sits at guest physical 0xb8000.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { InstanceSupervisor } from '../InstanceSupervisor';

const TEXT_BUFFER = 0xb8000;
const COLUMNS = 80;
const ROWS = 25;

/** The 25 text rows on screen now. */
export async function readTextScreen(
  instance: InstanceSupervisor,
): Promise<string[]> {
  const file = path.join(
    instance.runDir,
    `text-${process.hrtime.bigint()}.bin`,
  );
  try {
    await instance.qmpExecute('pmemsave', {
      val: TEXT_BUFFER,
      size: COLUMNS * ROWS * 2,
      filename: file,
    });
    const cells = await fs.readFile(file);
    const rows: string[] = [];
    for (let r = 0; r < ROWS; r++) {
      let row = '';
      for (let c = 0; c < COLUMNS; c++) {
        const ch = cells[(r * COLUMNS + c) * 2];
        row += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : ' ';
      }
      rows.push(row.trimEnd());
    }
    return rows;
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** SHA-1 of the guest's text buffer (characters and colours; no cursor blink, unlike a screendump). */
export async function textBufferHash(
  instance: InstanceSupervisor,
): Promise<string> {
  const file = path.join(instance.runDir, `tb-${process.hrtime.bigint()}.bin`);
  try {
    await instance.qmpExecute('pmemsave', {
      val: TEXT_BUFFER,
      size: COLUMNS * ROWS * 2,
      filename: file,
    });
    return createHash('sha1')
      .update(await fs.readFile(file))
      .digest('hex');
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** SHA-1 of a QEMU screendump (PPM) of the display as it is now. */
export async function screenHash(
  instance: InstanceSupervisor,
): Promise<string> {
  const file = path.join(
    instance.runDir,
    `hash-${process.hrtime.bigint()}.ppm`,
  );
  try {
    await instance.qmpExecute('screendump', { filename: file });
    return createHash('sha1')
      .update(await fs.readFile(file))
      .digest('hex');
  } finally {
    await fs.rm(file, { force: true });
  }
}

/**
 * The distinct screen hashes seen over ~1.5 s. The VGA text cursor blinks
 * (two phases of 250 ms), so one still text screen has up to two hashes.
 */
export async function screenHashes(
  instance: InstanceSupervisor,
): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    seen.add(await screenHash(instance));
    await new Promise(r => setTimeout(r, 120));
  }
  return seen;
}

const QCODES: Record<string, string> = {
  ' ': 'spc',
  '-': 'minus',
  '.': 'dot',
  '\n': 'ret',
};

/** Types text on the guest keyboard (lower-case letters, digits, space, '-', '.', newline). */
export async function typeText(
  instance: InstanceSupervisor,
  text: string,
): Promise<void> {
  for (const ch of text) {
    const qcode = QCODES[ch] ?? (/^[a-z0-9]$/.test(ch) ? ch : undefined);
    if (!qcode) throw new Error(`typeText: no key for ${JSON.stringify(ch)}`);
    await instance.qmpExecute('send-key', {
      keys: [{ type: 'qcode', data: qcode }],
    });
  }
}

/** Polls until `probe` returns a value (not undefined). */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what = 'condition',
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/**
 * Runs `echo <word>` in the guest shell until the word shows on a row of its
 * own. Retries, because a guest resumed from a snapshot taken late in its boot
 * may still be starting its shell (keys typed before that are lost).
 */
export async function echoInGuest(
  instance: InstanceSupervisor,
  word: string,
  attempts = 4,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await until(
      async () =>
        (
          await readTextScreen(instance)
        ).some(r => r.includes('LEGO LOCO CLUSTER'))
          ? true
          : undefined,
      120_000,
      'guest banner',
    );
    await typeText(instance, `echo ${word}\n`);
    try {
      await until(
        async () =>
          (await readTextScreen(instance)).includes(word) ? true : undefined,
        10_000,
        `${word} on screen`,
      );
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
