import { RefObject, useEffect, useState } from 'react';

/** Puts an element in fullscreen, or leaves fullscreen if it is already there. */
export async function toggleFullscreen(
  element: HTMLElement | null | undefined,
) {
  if (!element) return;
  if (document.fullscreenElement === element) await document.exitFullscreen();
  else await element.requestFullscreen?.();
}

/** Whether the element is the page's fullscreen element right now. */
export function useIsFullscreen(ref: RefObject<HTMLElement>): boolean {
  const [fullscreen, setFullscreen] = useState(false);
  useEffect(() => {
    const update = () =>
      setFullscreen(
        Boolean(ref.current) && document.fullscreenElement === ref.current,
      );
    document.addEventListener('fullscreenchange', update);
    return () => document.removeEventListener('fullscreenchange', update);
  }, [ref]);
  return fullscreen;
}
