import '@testing-library/jest-dom';

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
