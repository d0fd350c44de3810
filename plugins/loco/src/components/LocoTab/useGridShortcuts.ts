import { useEffect, useRef } from 'react';

/** Shortcuts of the Loco grid, shown in its help text. */
export const SHORTCUTS = [
  ['Alt+Shift+Arrow keys', 'move focus to the next tile'],
  ['Alt+Shift+Enter', 'fullscreen the focused tile (again to leave)'],
  ['Alt+Shift+Escape', 'release the keyboard'],
] as const;

export interface GridShortcutOptions {
  count: number;
  focused: number | null;
  /** Columns as laid out right now (the grid is responsive). */
  columns(): number;
  setFocused(index: number | null): void;
  fullscreen(index: number): void;
}

/**
 * Listens on window in the capture phase, so the shortcuts work while noVNC
 * holds the keyboard, and swallows them so the guest never sees them.
 */
export function useGridShortcuts(options: GridShortcutOptions) {
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || !e.shiftKey || e.ctrlKey || e.metaKey) return;
      const { count, focused, columns, setFocused, fullscreen } =
        latest.current;
      if (count === 0) return;
      const current = focused ?? -1;
      const cols = Math.max(1, columns());
      let next: number | null | undefined;
      switch (e.key) {
        case 'ArrowRight':
          next = (current + 1) % count;
          break;
        case 'ArrowLeft':
          next = current <= 0 ? count - 1 : current - 1;
          break;
        case 'ArrowDown':
          next = current < 0 ? 0 : (current + cols) % count;
          break;
        case 'ArrowUp':
          next = current < 0 ? 0 : (current - cols + count * cols) % count;
          break;
        case 'Enter':
          if (focused !== null) fullscreen(focused);
          break;
        case 'Escape':
          next = null;
          break;
        default:
          return;
      }
      e.preventDefault();
      e.stopPropagation();
      if (next !== undefined) setFocused(next);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}
