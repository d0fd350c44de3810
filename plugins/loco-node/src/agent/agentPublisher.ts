import path from 'node:path';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { InstanceSupervisor } from '../local/InstanceSupervisor';
import { publishInstance } from '../local/publishInstance';
import type { AgentConfig } from './agentConfig';
import { clientFor } from './agentDisk';

/**
 * The agent's publish: pushes its instance's disk and RAM state as a tag to
 * the environment's snapshot registry, one publish at a time (each copies
 * the whole disk).
 */
export class AgentPublisher {
  /** The tag being published, if any. */
  private publishing: string | null = null;

  constructor(
    private readonly config: Pick<
      AgentConfig,
      'name' | 'publish' | 'qemuBinary' | 'disk'
    >,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Publishes the running instance (`running` throws when there is none
   * yet) as `tag`, exactly as the local runtime does (publishInstance); the
   * flattened copy is made beside the disk, in the data volume. Returns the
   * manifest digest.
   */
  async publish(
    tag: string,
    running: () => InstanceSupervisor,
  ): Promise<string> {
    const target = this.config.publish;
    if (!target) {
      throw new InputError(
        `${this.config.name} has no snapshot registry to publish to (the chart's snapshot.registry, LOCO_SNAPSHOT_REGISTRY)`,
      );
    }
    const instance = running();
    if (this.publishing) {
      throw new ConflictError(
        `${this.config.name} is already publishing ${this.publishing}`,
      );
    }
    this.publishing = tag;
    try {
      const client = await clientFor(target).catch(error => {
        throw new ServiceUnavailableError(`publish failed: ${error.message}`);
      });
      const digest = await publishInstance(instance, {
        client,
        tag,
        qemuBinary: this.config.qemuBinary,
        workParent: path.dirname(this.config.disk.path),
      });
      this.logger.info(`published as ${client.name}:${tag} (${digest})`);
      return digest;
    } finally {
      this.publishing = null;
    }
  }
}
