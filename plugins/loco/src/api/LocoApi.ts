import { createApiRef } from '@backstage/core-plugin-api';
import type {
  ListEnvironmentsResponse,
  LocoEnvironment,
} from '@loco-portal/plugin-loco-common';

/** Everything the Loco UI asks of the backend. */
export interface LocoApi {
  listEnvironments(): Promise<ListEnvironmentsResponse>;
  getEnvironment(name: string): Promise<LocoEnvironment>;
  /** WebSocket URL of an instance's VNC stream, on the backend's own origin. */
  vncUrl(environment: string, index: number): Promise<string>;
  /** Subprotocols for the VNC WebSocket; carry the user's Backstage token. */
  vncProtocols(): Promise<string[]>;
}

export const locoApiRef = createApiRef<LocoApi>({ id: 'plugin.loco.api' });
