import { useCallback, useEffect, useState } from 'react';

/** noVNC's defaults: what a tile uses until the user picks otherwise. */
export const DEFAULT_PICTURE = { qualityLevel: 6, compressionLevel: 2 };

/** Where the browser keeps the user's choice, so it survives a reload. */
export const PICTURE_STORAGE_KEY = 'loco.picture';

/** Tells the other tiles of this page that the choice changed. */
const CHANGED_EVENT = 'loco-picture-changed';

type Picture = typeof DEFAULT_PICTURE;

const isLevel = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 9;

/** The stored choice, or the defaults when there is none (or it is not ours). */
export function loadPicture(): Picture {
  try {
    const stored = JSON.parse(
      window.localStorage.getItem(PICTURE_STORAGE_KEY) ?? 'null',
    );
    return {
      qualityLevel: isLevel(stored?.qualityLevel)
        ? stored.qualityLevel
        : DEFAULT_PICTURE.qualityLevel,
      compressionLevel: isLevel(stored?.compressionLevel)
        ? stored.compressionLevel
        : DEFAULT_PICTURE.compressionLevel,
    };
  } catch {
    return DEFAULT_PICTURE;
  }
}

/**
 * The tiles' picture settings: one choice per browser, like a video player's
 * quality, applied to every tile at once and remembered across reloads.
 */
export function usePictureSettings() {
  const [picture, setPicture] = useState<Picture>(loadPicture);
  useEffect(() => {
    // Other tiles of this page, and other tabs of this browser ("storage").
    const reload = () => setPicture(loadPicture());
    window.addEventListener(CHANGED_EVENT, reload);
    window.addEventListener('storage', reload);
    return () => {
      window.removeEventListener(CHANGED_EVENT, reload);
      window.removeEventListener('storage', reload);
    };
  }, []);
  const update = useCallback((change: Partial<Picture>) => {
    const next = { ...loadPicture(), ...change };
    try {
      window.localStorage.setItem(PICTURE_STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage full or disabled: the choice lasts for this tile only.
      setPicture(next);
      return;
    }
    window.dispatchEvent(new Event(CHANGED_EVENT));
  }, []);
  return {
    ...picture,
    setQualityLevel: (qualityLevel: number) => update({ qualityLevel }),
    setCompressionLevel: (compressionLevel: number) =>
      update({ compressionLevel }),
  };
}
