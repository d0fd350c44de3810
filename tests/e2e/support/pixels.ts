import type { Locator, Page } from 'playwright-core';

/** WCAG's relative luminance of an sRGB colour (0–255 channels). */
function luminance(r: number, g: number, b: number): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrast(a: number[], b: number[]): number {
  const [la, lb] = [luminance(a[0], a[1], a[2]), luminance(b[0], b[1], b[2])];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * What the user sees of an element: a screenshot of it, decoded by the
 * browser itself (no PNG library needed), as RGBA rows.
 */
export async function elementPixels(
  page: Page,
  element: Locator,
): Promise<{ width: number; height: number; data: number[] }> {
  const png = (await element.screenshot()).toString('base64');
  return page.evaluate(async b64 => {
    const image = new Image();
    image.src = `data:image/png;base64,${b64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    const { data } = ctx.getImageData(0, 0, image.width, image.height);
    return { width: image.width, height: image.height, data: Array.from(data) };
  }, png);
}

/**
 * How many of an element's pixels stand out from its background (the
 * top-left pixel) by at least `ratio` (WCAG contrast).
 */
export async function pixelsStandingOut(
  page: Page,
  element: Locator,
  ratio: number,
): Promise<number> {
  const { data } = await elementPixels(page, element);
  const background = data.slice(0, 3);
  let standing = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (contrast(data.slice(i, i + 3), background) >= ratio) standing += 1;
  }
  return standing;
}
