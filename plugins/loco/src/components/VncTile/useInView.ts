import { RefObject, useEffect, useState } from 'react';

/** How long a tile may be out of view before its session is paused. */
export const PAUSE_AFTER_MS = 2000;

/**
 * Whether an element is (roughly) on screen. Turning visible is reported at
 * once; turning invisible only after {@link PAUSE_AFTER_MS}, so scrolling past
 * a tile does not tear its session down. Without IntersectionObserver (old
 * browsers, jsdom) everything counts as visible.
 */
export function useInView(ref: RefObject<Element>): boolean {
  const [inView, setInView] = useState(true);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof IntersectionObserver === 'undefined')
      return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new IntersectionObserver(entries => {
      const visible = entries[entries.length - 1]?.isIntersecting ?? true;
      clearTimeout(timer);
      if (visible) setInView(true);
      else timer = setTimeout(() => setInView(false), PAUSE_AFTER_MS);
    });
    observer.observe(element);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, [ref]);
  return inView;
}
