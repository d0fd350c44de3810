import { createApiRef } from '@backstage/core-plugin-api';
import type {
  ListEnvironmentsResponse,
  LocoEnvironment,
  LocoSeatList,
} from '@loco-portal/plugin-loco-common';

/**
 * Instance actions the backend offers (`POST .../actions/:action`).
 *
 * @public
 */
export type LocoInstanceAction = 'restart' | 'reset' | 'restore' | 'save';

/**
 * What the backend answers after running an instance action.
 *
 * @public
 */
export interface LocoActionResult {
  environment: string;
  index: number;
  action: LocoInstanceAction;
  status: string;
}

/**
 * A snapshot tag published from an instance.
 *
 * @public
 */
export interface LocoPublishResult {
  environment: string;
  index: number;
  tag: string;
  /** The manifest digest the tag now names in the registry. */
  digest: string;
}

/**
 * Everything the Loco UI asks of the backend.
 *
 * @public
 */
export interface LocoApi {
  listEnvironments(): Promise<ListEnvironmentsResponse>;
  getEnvironment(name: string): Promise<LocoEnvironment>;
  /**
   * Opens the WebSocket of an instance's VNC stream, on the backend's own
   * origin, authenticated with the user's Backstage token. `viewOnly` asks
   * the gateway for a session that cannot type, even for a user who may.
   * The socket is created last, right before the promise resolves: hand it to
   * noVNC at once, or the server's greeting may arrive before anyone listens.
   */
  openVnc(
    environment: string,
    index: number,
    options: { viewOnly: boolean },
  ): Promise<WebSocket>;
  /**
   * Opens an instance's sound WebSocket (binary PCM in `VNC_AUDIO_FORMAT`,
   * nothing while the guest is silent), authenticated like the screen's.
   */
  openAudio(environment: string, index: number): Promise<WebSocket>;
  /** Restart, reset to snapshot or save a snapshot of one instance. */
  runAction(
    environment: string,
    index: number,
    action: LocoInstanceAction,
  ): Promise<LocoActionResult>;
  /** Publishes the instance's current disk and RAM state as a snapshot tag (needs loco.environment.manage). */
  publishSnapshot(
    environment: string,
    index: number,
    tag: string,
  ): Promise<LocoPublishResult>;
  /** The instance's current screen as PNG, taken by the runtime (not the browser). */
  screenshot(environment: string, index: number): Promise<Blob>;
  /**
   * Address of the environment's SVG health badge inside the portal: it needs
   * the user's credentials (fetch it with fetchApi, or rely on the cookie).
   */
  badgeUrl(environment: string): Promise<string>;
  /**
   * Address of the same badge for READMEs and wikis: it needs no Backstage
   * session, names no environment and shows only the health counts. Rejects
   * when the backend has public badges turned off (`loco.badges.public`).
   */
  publicBadgeUrl(environment: string): Promise<string>;
  /** Who plays where: the environment's seats. */
  listSeats(environment: string): Promise<LocoSeatList>;
  /** Claims a free instance for the signed-in user ("Play"); the new list. */
  claimSeat(environment: string, index: number): Promise<LocoSeatList>;
  /** Leaves one's own seat, or (a manager) frees anyone's; the new list. */
  leaveSeat(environment: string, index: number): Promise<LocoSeatList>;
  /** A manager takes the seat, whoever holds it; the new list. */
  takeOverSeat(environment: string, index: number): Promise<LocoSeatList>;
}

/** @public */
export const locoApiRef = createApiRef<LocoApi>({ id: 'plugin.loco.api' });
