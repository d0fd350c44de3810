import type { HealthFacts } from '@loco-portal/plugin-loco-common';
import { deriveInstanceHealth, isReady } from './deriveInstanceHealth';

const now = new Date('2026-01-01T00:10:00Z');
const running: HealthFacts = {
  processAlive: true,
  qmpStatus: 'running',
  vncReachable: true,
  lastScreenChangeAt: '2026-01-01T00:09:59Z',
  startedAt: '2026-01-01T00:00:00Z',
  bootMode: 'cold',
  accelerator: 'tcg',
  restarts: 0,
  lastExit: null,
};
const derive = (facts: Partial<HealthFacts>, intendedRunning = true) =>
  deriveInstanceHealth({ ...running, ...facts }, now, { intendedRunning });

describe('deriveInstanceHealth', () => {
  it('is healthy when running, reachable and the screen changes', () => {
    expect(derive({}).state).toBe('healthy');
  });

  it('is starting while a fresh emulator has not been measured', () => {
    const h = derive({
      startedAt: '2026-01-01T00:09:50Z',
      qmpStatus: null,
      vncReachable: null,
      lastScreenChangeAt: null,
    });
    expect(h.state).toBe('starting');
  });

  it('is unhealthy with the exit reason when a wanted emulator died', () => {
    const h = derive({
      processAlive: false,
      lastExit: { code: null, signal: 'SIGKILL', at: '2026-01-01T00:09:00Z' },
    });
    expect(h.state).toBe('unhealthy');
    expect(h.reasons[0]).toContain('signal SIGKILL');
  });

  it('is stopped when nobody wants it running', () => {
    expect(derive({ processAlive: false }, false).state).toBe('stopped');
  });

  it('is unhealthy when QEMU reports an internal error (the KVM pitfall)', () => {
    const h = derive({ qmpStatus: 'internal-error' });
    expect(h.state).toBe('unhealthy');
    expect(h.reasons[0]).toContain('internal-error');
  });

  it('is degraded when the screen stopped changing', () => {
    const h = derive({ lastScreenChangeAt: '2026-01-01T00:00:30Z' });
    expect(h.state).toBe('degraded');
    expect(h.reasons[0]).toMatch(/unchanged for 570 s/);
  });

  it('is unhealthy when VNC refuses after the startup grace', () => {
    expect(derive({ vncReachable: false }).state).toBe('unhealthy');
  });

  it('is starting, not unhealthy, while a wanted instance waits for a cold-boot slot', () => {
    const h = deriveInstanceHealth(
      { ...running, processAlive: false, startedAt: null },
      now,
      { intendedRunning: true, waiting: 'waiting for a cold-boot slot' },
    );
    expect(h.state).toBe('starting');
    expect(h.reasons).toEqual(['waiting for a cold-boot slot']);
  });

  it('appends measured notes, such as an accelerator fallback, to the reasons', () => {
    const h = deriveInstanceHealth(running, now, {
      intendedRunning: true,
      notes: ['KVM requested but unusable here (x); running on TCG'],
    });
    expect(h.state).toBe('healthy');
    expect(h.reasons).toEqual([
      'running, screen updating',
      'KVM requested but unusable here (x); running on TCG',
    ]);
  });

  it('is starting while the guest is still booting, and says so', () => {
    const h = derive({ guestBooted: false });
    expect(h.state).toBe('starting');
    expect(h.reasons).toEqual(['guest still booting']);
    expect(isReady(h)).toEqual({ ready: false, reason: 'guest still booting' });
  });

  it('is degraded and not ready while off the LAN hub', () => {
    const h = derive({ guestBooted: true, lanJoined: false });
    expect(h.state).toBe('degraded');
    expect(h.reasons).toEqual(['waiting for the LAN hub']);
    expect(isReady(h)).toEqual({
      ready: false,
      reason: 'waiting for the LAN hub',
    });
    expect(derive({ guestBooted: false, lanJoined: false }).reasons).toEqual([
      'guest still booting',
      'waiting for the LAN hub',
    ]);
  });

  it('is ready when booted and joined, or where neither is measured (never a guess)', () => {
    expect(isReady(derive({ guestBooted: true, lanJoined: true }))).toEqual({
      ready: true,
      reason: 'running, screen updating',
    });
    expect(isReady(derive({})).ready).toBe(true);
    expect(isReady(derive({ guestBooted: null, lanJoined: null })).ready).toBe(
      true,
    );
  });

  it('is not ready while starting or unhealthy, with the reason', () => {
    expect(isReady(derive({ qmpStatus: 'internal-error' }))).toEqual({
      ready: false,
      reason: 'QEMU reports internal-error',
    });
  });
});
