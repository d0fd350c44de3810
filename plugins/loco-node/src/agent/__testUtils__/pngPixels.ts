// Test helpers: the pixels of a PNG screenshot, and the demo guest's banner
// read back from them. No imports beyond node: so node:test suites
// (tests/emulator-image) can load this file with Node's type stripping.
import { inflateSync } from 'node:zlib';

export interface Pixels {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row after row. */
  rgb: Buffer;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what QEMU's screendump writes). */
export function decodePng(png: Buffer): Pixels {
  if (!png.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')))
    throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8);
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[colour] ?? 0;
      if (depth !== 8 || !channels || interlace !== 0)
        throw new Error(`unsupported PNG (depth ${depth}, colour ${colour})`);
    } else if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c =
        x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      let paeth = c;
      if (pa <= pb && pa <= pc) paeth = a;
      else if (pb <= pc) paeth = b;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      out[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++)
    out.copy(rgb, i * 3, i * channels, i * channels + 3);
  return { width, height, rgb };
}

/**
 * The block letters in the top five text rows of a demo guest screenshot: the
 * VGA text console draws 80x25 cells of 9x16 pixels, and the banner's full
 * blocks are bright yellow on red (guest/header). A cell whose centre pixel is
 * yellow reads '#', anything else ' '.
 */
export function bannerFromPixels(p: Pixels): string[] {
  if (p.width !== 720 || p.height !== 400)
    throw new Error(`not the 720x400 text console: ${p.width}x${p.height}`);
  const rows: string[] = [];
  for (let row = 0; row < 5; row++) {
    let text = '';
    for (let col = 0; col < 80; col++) {
      const i = ((row * 16 + 8) * p.width + col * 9 + 4) * 3;
      const [r, g, b] = [p.rgb[i], p.rgb[i + 1], p.rgb[i + 2]];
      text += r > 200 && g > 200 && b < 150 ? '#' : ' ';
    }
    rows.push(text.trimEnd());
  }
  return rows;
}

/** The banner as emulator-image/demo-disk/guest/banner.txt draws it ('█' as '#'). */
export function expectedBanner(bannerTxt: string): string[] {
  return bannerTxt
    .split('\n')
    .slice(0, 5)
    .map(line => line.replace(/█/g, '#').replace(/[^#]/g, ' ').trimEnd());
}
