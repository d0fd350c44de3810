import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

/**
 * findBy/waitFor give up after 1 s by default. CI runs these tests beside
 * real QEMU guests on two cores, where a dialog's render alone has taken
 * longer; a wait is a bound on an event that does happen, not a speed goal
 * (those live in bench/), so it may be generous.
 */
configure({ asyncUtilTimeout: 15_000 });
jest.setTimeout(60_000);

/**
 * noVNC is ESM with top-level await, which jest cannot load. Component tests
 * get a stand-in RFB (a test double, following noVNC's docs/API.md) that
 * records how it was created and driven, and can be told to connect or
 * disconnect like the real one.
 */
jest.mock('@novnc/novnc', () => {
  class FakeRfb extends EventTarget {
    static instances: FakeRfb[] = [];
    viewOnly = false;
    focusOnClick = true;
    scaleViewport = false;
    clipViewport = false;
    qualityLevel = 6;
    compressionLevel = 2;
    background = '';
    disconnected = false;
    focused = false;
    ctrlAltDels = 0;
    constructor(
      readonly target: HTMLElement,
      readonly url: string,
      readonly options: Record<string, unknown>,
    ) {
      super();
      FakeRfb.instances.push(this);
    }
    focus() {
      this.focused = true;
    }
    blur() {
      this.focused = false;
    }
    sendCtrlAltDel() {
      this.ctrlAltDels += 1;
    }
    toBlob(callback: (blob: Blob | null) => void) {
      callback(new Blob(['fake'], { type: 'image/png' }));
    }
    disconnect() {
      this.disconnected = true;
    }
  }
  return { __esModule: true, default: FakeRfb };
});
