import { createHash } from 'node:crypto';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  LOCO_DEFINED_IN_ANNOTATION,
  LOCO_DEFINED_IN_CONFIG,
  LOCO_ENVIRONMENT_ENTITY_TYPE,
  LOCO_ENVIRONMENT_ANNOTATION,
  KUBERNETES_PLUGIN_ANNOTATIONS,
  environmentLabelSelector,
  type ListEnvironmentsResponse,
  type LocoEnvironment,
} from '@loco-portal/plugin-loco-common';

/**
 * Who owns an environment whose provisioning recorded no (valid) owner.
 *
 * @public
 */
export const DEFAULT_OWNER = 'group:default/guests';

/** @public */
export interface LocoEntityProviderOptions {
  /** Anything that lists environments from memory (LocoRuntimes in the backend). */
  runtimes: { listEnvironments(): Promise<ListEnvironmentsResponse> };
  logger: LoggerService;
  /** The app's base URL, for the link to each environment's Loco tab. */
  appBaseUrl: string;
  /** Names of the environments defined in config (`loco.local.environments`). */
  configDefined?: ReadonlySet<string>;
}

/**
 * Every Loco environment, local or Kubernetes, as a `Resource` of type
 * `loco-environment`. Each refresh replaces the provider's whole set (a full
 * mutation), so an environment that is gone disappears from the catalog; the
 * mutation is only sent when the set actually changed.
 *
 * @public
 */
export class LocoEntityProvider implements EntityProvider {
  private connection: EntityProviderConnection | undefined;
  private lastDigest: string | undefined;

  constructor(private readonly options: LocoEntityProviderOptions) {}

  getProviderName(): string {
    return 'loco-environments';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    this.lastDigest = undefined;
    // Listings come from memory: publish at once rather than at the first tick.
    await this.refresh().catch(error =>
      this.options.logger.warn(`Could not publish Loco environments: ${error}`),
    );
  }

  /** Reads the current environments and applies them if anything changed. */
  async refresh(): Promise<boolean> {
    if (!this.connection) return false;
    const { items, errors } = await this.options.runtimes.listEnvironments();
    for (const error of errors) {
      this.options.logger.debug(
        `Loco location ${error.location}: ${error.message}`,
      );
    }
    const seen = new Set<string>();
    const entities: Entity[] = [];
    for (const env of items) {
      // Names are unique per portal; a second cluster with the same name loses.
      if (seen.has(env.name)) continue;
      seen.add(env.name);
      entities.push(this.toEntity(env));
    }
    const digest = createHash('sha256')
      .update(JSON.stringify(entities))
      .digest('hex');
    if (digest === this.lastDigest) return false;
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: `${this.getProviderName()}:${entity.metadata.name}`,
      })),
    });
    this.lastDigest = digest;
    this.options.logger.info(
      `Loco environments in the catalog: ${entities.length}`,
    );
    return true;
  }

  private toEntity(env: LocoEnvironment): Entity {
    // A location type of our own: nothing for the catalog to fetch or re-read.
    const location = `loco:${env.location}/${env.name}`;
    const base = this.options.appBaseUrl.replace(/\/$/, '');
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: env.name,
        title: env.name,
        description: `Loco environment: ${env.desiredInstances} emulator${
          env.desiredInstances === 1 ? '' : 's'
        } joined as one LAN (${env.runtime} runtime, ${env.location}).`,
        annotations: {
          [LOCO_ENVIRONMENT_ANNOTATION]: env.name,
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
          ...(env.runtime === 'local' &&
          this.options.configDefined?.has(env.name)
            ? { [LOCO_DEFINED_IN_ANNOTATION]: LOCO_DEFINED_IN_CONFIG }
            : {}),
          // Only Kubernetes environments have pods for the Kubernetes tab to show.
          ...(env.runtime === 'kubernetes'
            ? {
                [KUBERNETES_PLUGIN_ANNOTATIONS.id]: env.name,
                [KUBERNETES_PLUGIN_ANNOTATIONS.labelSelector]:
                  environmentLabelSelector(env.name),
                // Unknown namespace (not in the listing): the plugin searches all.
                ...(env.namespace
                  ? { [KUBERNETES_PLUGIN_ANNOTATIONS.namespace]: env.namespace }
                  : {}),
              }
            : {}),
        },
        tags: [
          env.runtime,
          ...(env.runtime === 'kubernetes' ? [env.location] : []),
        ],
        links: [
          {
            url: `${base}/catalog/default/resource/${env.name}/loco`,
            title: 'Loco screens',
            icon: 'dashboard',
          },
        ],
      },
      spec: {
        type: LOCO_ENVIRONMENT_ENTITY_TYPE,
        owner: ownerRef(env.owner),
        lifecycle: env.runtime === 'local' ? 'experimental' : 'production',
      },
    };
  }
}

/**
 * A full entity ref of the owner; default when missing or not a ref at all.
 *
 * @public
 */
export function ownerRef(owner: string | null): string {
  if (!owner) return DEFAULT_OWNER;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    return DEFAULT_OWNER;
  }
}
