import type { LocoInstance } from '@loco-portal/plugin-loco-common';
import { recentEvent } from './connection';

const CHECKED = '2026-11-22T02:00:30.000Z';

function instance(facts: Record<string, unknown>): LocoInstance {
  return {
    index: 0,
    name: 'loco-demo-0',
    state: 'healthy',
    health: {
      state: 'healthy',
      reasons: [],
      checkedAt: CHECKED,
      facts: { processAlive: true, lastExit: null, ...facts } as any,
    },
  };
}

const at = (iso: string) => new Date(iso).toLocaleTimeString();

describe('recentEvent', () => {
  it('names a crash with its exit status and age', () => {
    expect(
      recentEvent(
        instance({
          lastExit: {
            code: null,
            signal: 'SIGKILL',
            at: '2026-11-22T02:00:18.000Z',
          },
        }),
      ),
    ).toBe('restarted after the emulator exited (signal SIGKILL) 12 s ago');
  });

  it("says a user's restart was requested, never 'exited (code 0)'", () => {
    const text = recentEvent(
      instance({
        lastExit: {
          code: 0,
          signal: null,
          at: '2026-11-22T02:00:10.000Z',
          requested: true,
        },
        lastAction: { action: 'restart', at: '2026-11-22T02:00:11.000Z' },
      }),
    );
    expect(text).toBe(
      `restarted on request at ${at('2026-11-22T02:00:11.000Z')}`,
    );
  });

  it('lets a later reset replace the restart', () => {
    const text = recentEvent(
      instance({
        lastExit: {
          code: 0,
          signal: null,
          at: '2026-11-22T02:00:10.000Z',
          requested: true,
        },
        lastAction: { action: 'reset', at: '2026-11-22T02:00:20.000Z' },
      }),
    );
    expect(text).toBe(
      `reset to its snapshot on request at ${at('2026-11-22T02:00:20.000Z')}`,
    );
  });

  it('lets a later crash replace a reset, and forgets both after two minutes', () => {
    const crash = {
      lastAction: { action: 'reset', at: '2026-11-22T02:00:00.000Z' },
      lastExit: { code: 1, signal: null, at: '2026-11-22T02:00:25.000Z' },
    };
    expect(recentEvent(instance(crash))).toBe(
      'restarted after the emulator exited (code 1) 5 s ago',
    );
    expect(
      recentEvent(
        instance({
          lastAction: { action: 'reset', at: '2026-11-22T01:58:00.000Z' },
        }),
      ),
    ).toBeNull();
    // Saving changes nothing on the screen: nothing to say.
    expect(
      recentEvent(
        instance({
          lastAction: { action: 'save', at: '2026-11-22T02:00:25.000Z' },
        }),
      ),
    ).toBeNull();
  });
});
