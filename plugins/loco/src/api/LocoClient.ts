import type {
  DiscoveryApi,
  FetchApi,
  IdentityApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  ListEnvironmentsResponse,
  LocoEnvironment,
} from '@loco-portal/plugin-loco-common';
import type { LocoActionResult, LocoApi, LocoInstanceAction } from './LocoApi';

/** Must match the gateway's TOKEN_PROTOCOL_PREFIX. */
const TOKEN_PROTOCOL_PREFIX = 'backstage-token.';

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

  async vncUrl(environment: string, index: number): Promise<string> {
    const url = new URL(
      `${await this.base()}${instancePath(environment, index)}/vnc`,
    );
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  async vncProtocols(): Promise<string[]> {
    const { token } = await this.deps.identityApi.getCredentials();
    return token ? ['binary', `${TOKEN_PROTOCOL_PREFIX}${token}`] : ['binary'];
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
