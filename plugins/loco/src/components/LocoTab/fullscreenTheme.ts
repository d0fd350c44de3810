import { createTheme, type Theme } from '@material-ui/core/styles';

/** Material UI's own dark palette: text, icons, dividers and surfaces for a dark page. */
const DARK = createTheme({ palette: { type: 'dark' } }).palette;
const cache = new WeakMap<Theme, Theme>();

/**
 * The app's theme with a dark palette, for a tile in fullscreen: the screen
 * fills a black page, and the light theme's icons (black at 54 %) vanish on
 * it. Brand colours and everything else of the app's theme are kept.
 */
export function fullscreenTheme(outer: Theme): Theme {
  let dark = cache.get(outer);
  if (!dark) {
    dark = {
      ...outer,
      palette: {
        ...outer.palette,
        type: 'dark',
        text: DARK.text,
        background: DARK.background,
        action: DARK.action,
        divider: DARK.divider,
      },
    };
    cache.set(outer, dark);
  }
  return dark;
}
