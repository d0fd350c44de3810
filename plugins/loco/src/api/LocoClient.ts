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
import type { LocoApi } from './LocoApi';

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
    return this.get('/environments');
  }

  getEnvironment(name: string): Promise<LocoEnvironment> {
    return this.get(`/environments/${encodeURIComponent(name)}`);
  }

  async vncUrl(environment: string, index: number): Promise<string> {
    const base = await this.deps.discoveryApi.getBaseUrl('loco');
    const url = new URL(
      `${base}/environments/${encodeURIComponent(environment)}/instances/${index}/vnc`,
    );
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  async vncProtocols(): Promise<string[]> {
    const { token } = await this.deps.identityApi.getCredentials();
    return token ? ['binary', `${TOKEN_PROTOCOL_PREFIX}${token}`] : ['binary'];
  }

  private async get<T>(path: string): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('loco');
    const response = await this.deps.fetchApi.fetch(`${base}${path}`);
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }
}
