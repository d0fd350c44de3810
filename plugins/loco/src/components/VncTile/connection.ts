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
  const event = recentEvent(instance);
  return { state, reason: event ? `${reason}; ${event}` : reason };
}

/** How long after an emulator exit or a user's action the tile keeps mentioning it. */
export const RECENT_EXIT_MS = 120_000;

/** What a user's action did to the guest, as the tile says it. */
const ACTION_DONE: Record<string, string> = {
  restart: 'restarted on request',
  reset: 'reset to its snapshot on request',
  restore: 'returned to its saved state on request',
};

/** "07:12:03": the browser's clock format, for a backend timestamp. */
function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}

/**
 * What happened to the emulator lately, newest first wins: "restarted after
 * the emulator exited (signal SIGKILL) 12 s ago" (the runtime restarts a dead
 * emulator by itself, so without this note the cause would vanish as soon as
 * the new process answers), or "restarted on request at 07:12:03" after a
 * user's restart, replaced by a later reset's note. Ages are measured between
 * two backend timestamps, so browser clock skew does not matter.
 */
export function recentEvent(instance: LocoInstance): string | null {
  const facts = instance.health.facts;
  // While the process is down the health reasons already name the exit.
  if (!facts?.processAlive) return null;
  const ageOf = (at: string) =>
    Date.parse(instance.health.checkedAt) - Date.parse(at);
  const recent = (at: string) => {
    const age = ageOf(at);
    return Number.isFinite(age) && age >= 0 && age <= RECENT_EXIT_MS;
  };
  const exit = facts.lastExit;
  const action = facts.lastAction;
  const actionIsNewer =
    action && (!exit || Date.parse(action.at) >= Date.parse(exit.at));
  if (action && actionIsNewer) {
    const done = ACTION_DONE[action.action];
    return done && recent(action.at)
      ? `${done} at ${clockTime(action.at)}`
      : null;
  }
  if (!exit || !recent(exit.at)) return null;
  if (exit.requested) return `${ACTION_DONE.restart} at ${clockTime(exit.at)}`;
  let how = 'unknown status';
  if (exit.signal) how = `signal ${exit.signal}`;
  else if (exit.code !== null) how = `code ${exit.code}`;
  return `restarted after the emulator exited (${how}) ${Math.round(
    ageOf(exit.at) / 1000,
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
