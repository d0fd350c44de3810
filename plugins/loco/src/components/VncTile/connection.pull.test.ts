import {
  builtinFallbackNotice,
  snapshotPullFailedReason,
  snapshotPullingReason,
  type InstanceState,
  type LocoInstance,
} from '@loco-portal/plugin-loco-common';
import { describeTile } from './connection';

const CHECKED = '2026-11-22T02:00:30.000Z';

/** An instance as both runtimes list it while its snapshot is pulled, failed, or fell back. */
function instance(
  state: InstanceState,
  reasons: string[],
  processAlive: boolean,
): LocoInstance {
  return {
    index: 0,
    name: 'games-0',
    state,
    health: {
      state,
      reasons,
      checkedAt: CHECKED,
      facts: { processAlive, lastExit: null } as any,
    },
  };
}

const REFUSED = snapshotPullFailedReason(
  '401 from registry registry.example: it needs a username and password and none are configured',
);

describe('tiles of instances whose snapshot is pulled (loco-common reasons)', () => {
  it('shows the pull progress while the instance waits for it', () => {
    expect(
      describeTile(
        instance('starting', [snapshotPullingReason('games', 45)], false),
        { state: 'connecting' },
      ),
    ).toEqual({ state: 'booting', reason: 'pulling games 45 %' });
  });

  it("shows the registry's reason when the instance stays down (fallback fail)", () => {
    const tile = describeTile(
      instance(
        'unhealthy',
        ['emulator process is not running', REFUSED],
        false,
      ),
      { state: 'disconnected', reason: 'instance is not running' },
    );
    expect(tile.state).toBe('unhealthy');
    expect(tile.reason).toContain(REFUSED);
  });

  it('keeps saying why a running instance is on the built-in disk (fallback builtin)', () => {
    const tile = describeTile(
      instance(
        'healthy',
        ['running, screen updating', builtinFallbackNotice(REFUSED)],
        true,
      ),
      { state: 'live' },
    );
    expect(tile.state).toBe('live');
    expect(tile.reason).toContain(
      `${REFUSED}; booting the image's built-in disk instead`,
    );
  });
});
