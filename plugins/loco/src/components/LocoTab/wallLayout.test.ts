import { SCREEN_ASPECT, wallLayout } from './wallLayout';

/** The wall's height for a layout: rows of tiles (chrome + screen) and gaps. */
const wallHeight = (count: number, columns: number, width: number) => {
  const rows = Math.ceil(count / columns);
  return rows * (90 + width / SCREEN_ASPECT) + (rows - 1) * 16;
};

describe('wallLayout', () => {
  it.each([
    // Window sizes minus Backstage's sidebar and padding, and the tab's toolbar.
    [1366 - 272, 768 - 76],
    [1440 - 272, 900 - 76],
    [1920 - 272, 1080 - 76],
  ])(
    'fits a 3×3 wall in %i × %i px, as wide as the height allows',
    (width, height) => {
      const { columns, tileWidth } = wallLayout({
        count: 9,
        width,
        height,
        chromePx: 90,
      });
      expect(columns).toBe(3);
      expect(wallHeight(9, 3, tileWidth)).toBeLessThanOrEqual(height);
      expect(3 * tileWidth + 2 * 16).toBeLessThanOrEqual(width);
      // One pixel wider would not fit any more in one of the two directions.
      expect(
        wallHeight(9, 3, tileWidth + 2) > height ||
          3 * (tileWidth + 2) + 32 > width,
      ).toBe(true);
    },
  );

  it('takes about √N columns for any N', () => {
    const columns = (count: number) =>
      wallLayout({ count, width: 4000, height: 4000, chromePx: 80 }).columns;
    expect([1, 2, 4, 5, 9, 10, 16].map(columns)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  it('takes fewer columns on a narrow page and lets the wall scroll instead of shrinking tiles to nothing', () => {
    const layout = wallLayout({
      count: 9,
      width: 500,
      height: 500,
      chromePx: 80,
    });
    expect(layout.columns).toBe(2);
    expect(layout.tileWidth).toBe(220);
  });

  it('wraps tile headers (whole names) only where the wall scrolls anyway', () => {
    // A 3×3 wall at 1366×768 fits with one-line headers: a second line would
    // push its last row out of the window.
    expect(
      wallLayout({
        count: 9,
        width: 1366 - 272,
        height: 768 - 101,
        chromePx: 86,
      }).wrapHeaders,
    ).toBe(false);
    // 32 instances cannot fit 1280×800 or 1920×1080 even at the smallest tiles.
    for (const [width, height] of [
      [1280 - 272, 800 - 101],
      [1920 - 272, 1080 - 101],
    ])
      expect(
        wallLayout({ count: 32, width, height, chromePx: 86 }).wrapHeaders,
      ).toBe(true);
  });
});
