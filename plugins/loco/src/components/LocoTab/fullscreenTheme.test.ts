import { createTheme, getContrastRatio } from '@material-ui/core/styles';
import { fullscreenTheme } from './fullscreenTheme';

describe('fullscreenTheme', () => {
  const light = createTheme({ palette: { primary: { main: '#123456' } } });

  it('makes icons and text readable on the black fullscreen page (WCAG AA, 4.5:1)', () => {
    const dark = fullscreenTheme(light);
    // The light theme's icons are what went black on black.
    expect(getContrastRatio(light.palette.action.active, '#000')).toBeLessThan(
      4.5,
    );
    expect(
      getContrastRatio(dark.palette.action.active, '#000'),
    ).toBeGreaterThan(4.5);
    expect(getContrastRatio(dark.palette.text.primary, '#000')).toBeGreaterThan(
      4.5,
    );
  });

  it("keeps the app's own colours and the same theme object for the same app theme", () => {
    const dark = fullscreenTheme(light);
    expect(dark.palette.primary.main).toBe('#123456');
    expect(fullscreenTheme(light)).toBe(dark);
  });
});
