// Reading the guest's screen through QMP.
//
// The demo guest runs the Linux VGA text console (80x25, 720x400 pixels). In
// text mode the screen is a character buffer at guest physical 0xb8000: one
// byte of code page 437 character, one byte of colour, per cell. The guest
// boots with `no-scroll`, so the visible screen always starts at 0xb8000.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Qmp } from './qmp.ts';

const TEXT_BUFFER = 0xb8000;
const COLUMNS = 80;
const ROWS = 25;

/** The 25 text rows on screen now (code page 437 block characters become '#'). */
export async function readTextScreen(
  qmp: Qmp,
  scratchDir: string,
): Promise<string[]> {
  const file = join(scratchDir, 'text-buffer.bin');
  await qmp.execute('pmemsave', {
    val: TEXT_BUFFER,
    size: COLUMNS * ROWS * 2,
    filename: file,
  });
  const cells = await readFile(file);
  const rows: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    let row = '';
    for (let c = 0; c < COLUMNS; c++) {
      const ch = cells[(r * COLUMNS + c) * 2];
      row +=
        ch >= 0x20 && ch < 0x7f
          ? String.fromCharCode(ch)
          : ch === 0xdb
          ? '#'
          : ' ';
    }
    rows.push(row.trimEnd());
  }
  return rows;
}

export interface Picture {
  width: number;
  height: number;
  rgb: Buffer;
}

/** A screendump of the display as QEMU renders it (PPM, QEMU 7.2's default format). */
export async function screendump(
  qmp: Qmp,
  scratchDir: string,
  name: string,
): Promise<Picture> {
  const file = join(scratchDir, `${name}.ppm`);
  await qmp.execute('screendump', { filename: file });
  const data = await readFile(file);
  // Binary PPM: "P6" width height maxval, separated by whitespace, then RGB bytes.
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(
    data.subarray(0, 32).toString('latin1'),
  );
  if (!header) throw new Error(`${file} is not a binary PPM`);
  const [width, height] = [Number(header[1]), Number(header[2])];
  return { width, height, rgb: data.subarray(header[0].length) };
}

export function distinctColours(picture: Picture): number {
  const colours = new Set<number>();
  for (let i = 0; i + 2 < picture.rgb.length; i += 3) {
    colours.add(
      (picture.rgb[i] << 16) | (picture.rgb[i + 1] << 8) | picture.rgb[i + 2],
    );
  }
  return colours.size;
}

// QEMU key codes (qcode) for the characters the tests type.
const QCODES: Record<string, string> = {
  ' ': 'spc',
  '-': 'minus',
  '.': 'dot',
  '\n': 'ret',
};

/** Types text on the guest keyboard (lower-case letters, digits, space, '-', '.', newline). */
export async function typeText(qmp: Qmp, text: string): Promise<void> {
  for (const ch of text) {
    const qcode = QCODES[ch] ?? (/^[a-z0-9]$/.test(ch) ? ch : undefined);
    if (!qcode) throw new Error(`typeText: no key for ${JSON.stringify(ch)}`);
    await qmp.execute('send-key', { keys: [{ type: 'qcode', data: qcode }] });
  }
}
