import '@testing-library/jest-dom';

/**
 * noVNC is ESM with top-level await, which jest cannot load. Component tests
 * get a stand-in RFB that records how it was created and can be told to
 * connect or disconnect like the real one (events per noVNC docs/API.md).
 */
jest.mock('@novnc/novnc', () => {
  class FakeRfb extends EventTarget {
    static instances: FakeRfb[] = [];
    viewOnly = false;
    scaleViewport = false;
    disconnected = false;
    constructor(
      readonly target: HTMLElement,
      readonly url: string,
      readonly options: Record<string, unknown>,
    ) {
      super();
      FakeRfb.instances.push(this);
    }
    disconnect() {
      this.disconnected = true;
    }
  }
  return { __esModule: true, default: FakeRfb };
});
