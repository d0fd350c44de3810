import type { LocoInstance } from '@loco-portal/plugin-loco-common';

/** What one tile's VNC session is doing. */
export type ConnectionState = 'connecting' | 'live' | 'disconnected' | 'paused';

export interface Connection {
  state: ConnectionState;
  /** Why, in words (e.g. "connection lost; retrying in 4 s"). */
  reason?: string;
}

/** What a tile shows: the session state folded together with the instance's health. */
export type TileState =
  | 'booting'
  | 'connecting'
  | 'live'
  | 'unhealthy'
  | 'disconnected'
  | 'paused';

/**
 * The instance's health wins when it explains the picture (starting → booting,
 * failed → unhealthy), because "disconnected" alone would hide the cause; the
 * session state is shown otherwise.
 */
export function describeTile(
  instance: LocoInstance,
  connection: Connection,
): { state: TileState; reason: string } {
  const { state, reason } = describeState(instance, connection);
  const exit = recentExit(instance);
  return { state, reason: exit ? `${reason}; ${exit}` : reason };
}

/** How long after an emulator exit the tile keeps mentioning it. */
export const RECENT_EXIT_MS = 120_000;

/**
 * "restarted after the emulator exited (signal SIGKILL) 12 s ago": the runtime
 * restarts a dead emulator by itself, so without this note the cause would
 * vanish from the tile as soon as the new process answers. Ages are measured
 * between two backend timestamps, so browser clock skew does not matter.
 */
export function recentExit(instance: LocoInstance): string | null {
  const exit = instance.health.facts?.lastExit;
  // While the process is down the health reasons already name the exit.
  if (!exit || !instance.health.facts.processAlive) return null;
  const age = Date.parse(instance.health.checkedAt) - Date.parse(exit.at);
  if (!Number.isFinite(age) || age < 0 || age > RECENT_EXIT_MS) return null;
  let how = 'unknown status';
  if (exit.signal) how = `signal ${exit.signal}`;
  else if (exit.code !== null) how = `code ${exit.code}`;
  return `restarted after the emulator exited (${how}) ${Math.round(
    age / 1000,
  )} s ago`;
}

function describeState(
  instance: LocoInstance,
  connection: Connection,
): { state: TileState; reason: string } {
  const health = instance.health.reasons.join('; ');
  if (instance.state === 'starting') {
    return { state: 'booting', reason: health || 'the emulator is starting' };
  }
  if (instance.state === 'unhealthy' || instance.state === 'stopped') {
    const session =
      connection.state === 'live'
        ? ''
        : ` (VNC session: ${connection.reason ?? connection.state})`;
    return {
      state: 'unhealthy',
      reason: `${health || `instance is ${instance.state}`}${session}`,
    };
  }
  switch (connection.state) {
    case 'live':
      return { state: 'live', reason: health || 'screen connected' };
    case 'connecting':
      return {
        state: 'connecting',
        reason: connection.reason ?? 'opening the screen session',
      };
    case 'paused':
      return {
        state: 'paused',
        reason:
          connection.reason ??
          'scrolled out of view; drawing paused until visible',
      };
    default:
      return {
        state: 'disconnected',
        reason: connection.reason ?? 'connection closed',
      };
  }
}

/** Delay before automatic reconnect attempt `failures` (1 s, 2 s, 4 s, 8 s, then 15 s). */
export function reconnectDelayMs(failures: number): number {
  return Math.min(1000 * 2 ** Math.max(0, failures - 1), 15_000);
}
