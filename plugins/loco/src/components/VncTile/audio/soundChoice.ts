import { useSyncExternalStore } from 'react';

/**
 * Which tile plays sound on this page. By default the focused tile does (nine
 * copies of the same music at once is noise); a click on another tile's
 * speaker makes that one the only one, and a click on the playing one mutes
 * the page. The volume is the page's, one for all tiles.
 */
export type SoundChoice =
  | { kind: 'focused' }
  | { kind: 'tile'; key: string }
  | { kind: 'off' };

interface SoundState {
  choice: SoundChoice;
  volume: number;
}

let state: SoundState = { choice: { kind: 'focused' }, volume: 0.8 };
const listeners = new Set<() => void>();

function set(next: Partial<SoundState>) {
  state = { ...state, ...next };
  listeners.forEach(l => l());
}

export const soundKey = (environment: string, index: number) =>
  `${environment}/${index}`;

/** Whether a tile plays, given the page's choice and whether it is focused. */
export function isPlaying(choice: SoundChoice, key: string, focused: boolean) {
  if (choice.kind === 'tile') return choice.key === key;
  return choice.kind === 'focused' && focused;
}

export function useSound() {
  const current = useSyncExternalStore(
    l => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
  return {
    ...current,
    choose: (choice: SoundChoice) => set({ choice }),
    setVolume: (volume: number) => set({ volume }),
  };
}
