import type {
  DiscoveryApi,
  FetchApi,
  IdentityApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  type ListEnvironmentsResponse,
  type LocoEnvironment,
  type LocoSeatList,
  seatPath,
  seatsPath,
  seatTakeOverPath,
  VNC_TOKEN_PROTOCOL_PREFIX,
  VNC_VIEW_ONLY_PARAM,
  vncAudioPath,
  vncPath,
} from '@loco-portal/plugin-loco-common';
import type {
  LocoActionResult,
  LocoApi,
  LocoInstanceAction,
  LocoPublishResult,
} from './LocoApi';

/** @public */
export class LocoClient implements LocoApi {
  constructor(
    private readonly deps: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
      identityApi: IdentityApi;
    },
  ) {}

  listEnvironments(): Promise<ListEnvironmentsResponse> {
    return this.json('/environments');
  }

  getEnvironment(name: string): Promise<LocoEnvironment> {
    return this.json(`/environments/${encodeURIComponent(name)}`);
  }

  async openVnc(
    environment: string,
    index: number,
    options: { viewOnly: boolean },
  ): Promise<WebSocket> {
    const url = new URL(`${await this.base()}${vncPath(environment, index)}`);
    if (options.viewOnly) url.searchParams.set(VNC_VIEW_ONLY_PARAM, 'true');
    return this.openSocket(url);
  }

  async openAudio(environment: string, index: number): Promise<WebSocket> {
    return this.openSocket(
      new URL(`${await this.base()}${vncAudioPath(environment, index)}`),
    );
  }

  /** A WebSocket to the gateway, the user's token in a subprotocol (browsers cannot set headers). */
  private async openSocket(url: URL): Promise<WebSocket> {
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const { token } = await this.deps.identityApi.getCredentials();
    const protocols = token
      ? ['binary', `${VNC_TOKEN_PROTOCOL_PREFIX}${token}`]
      : ['binary'];
    const socket = new WebSocket(url.toString(), protocols);
    socket.binaryType = 'arraybuffer';
    return socket;
  }

  runAction(
    environment: string,
    index: number,
    action: LocoInstanceAction,
  ): Promise<LocoActionResult> {
    return this.json(
      `${instancePath(environment, index)}/actions/${encodeURIComponent(
        action,
      )}`,
      { method: 'POST' },
    );
  }

  publishSnapshot(
    environment: string,
    index: number,
    tag: string,
  ): Promise<LocoPublishResult> {
    return this.json(`${instancePath(environment, index)}/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tag }),
    });
  }

  async screenshot(environment: string, index: number): Promise<Blob> {
    const response = await this.fetch(
      `${instancePath(environment, index)}/screenshot`,
    );
    return response.blob();
  }

  async badgeUrl(environment: string): Promise<string> {
    return `${await this.base()}/badges/environments/${encodeURIComponent(
      environment,
    )}.svg`;
  }

  async publicBadgeUrl(environment: string): Promise<string> {
    const { url } = await this.json<{ url: string }>(
      `/badges/environments/${encodeURIComponent(environment)}/public`,
    );
    return url;
  }

  listSeats(environment: string): Promise<LocoSeatList> {
    return this.json(seatsPath(environment));
  }

  claimSeat(environment: string, index: number): Promise<LocoSeatList> {
    return this.json(seatPath(environment, index), { method: 'POST' });
  }

  leaveSeat(environment: string, index: number): Promise<LocoSeatList> {
    return this.json(seatPath(environment, index), { method: 'DELETE' });
  }

  takeOverSeat(environment: string, index: number): Promise<LocoSeatList> {
    return this.json(seatTakeOverPath(environment, index), { method: 'POST' });
  }

  private base() {
    return this.deps.discoveryApi.getBaseUrl('loco');
  }

  private async fetch(path: string, init?: RequestInit): Promise<Response> {
    const response = await this.deps.fetchApi.fetch(
      `${await this.base()}${path}`,
      init,
    );
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return response;
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.fetch(path, init)).json()) as T;
  }
}

function instancePath(environment: string, index: number) {
  return `/environments/${encodeURIComponent(environment)}/instances/${index}`;
}
