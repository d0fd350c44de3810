import type {
  AuditorService,
  AuditorServiceCreateEventOptions,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';

/** One audit event as the auditor service received it, and how it ended. */
export interface RecordedAuditEvent {
  eventId: string;
  severityLevel?: string;
  meta: Record<string, unknown>;
  /** Whether the event carried the HTTP request the real auditor reads the actor from. */
  actorFromRequest: boolean;
  outcome?: 'succeeded' | 'failed';
  error?: string;
}

/**
 * An auditor service that records events (test double). Follows the real
 * service's contract: `createEvent` resolves to an event whose `success` and
 * `fail` merge their meta into the event's.
 */
export class RecordingAuditor implements AuditorService {
  readonly events: RecordedAuditEvent[] = [];

  async createEvent(options: AuditorServiceCreateEventOptions) {
    const event: RecordedAuditEvent = {
      eventId: options.eventId,
      severityLevel: options.severityLevel,
      meta: { ...options.meta },
      actorFromRequest: Boolean(options.request?.headers.authorization),
    };
    this.events.push(event);
    return {
      success: async (params?: { meta?: Record<string, any> }) => {
        event.outcome = 'succeeded';
        Object.assign(event.meta, params?.meta);
      },
      fail: async (params: { meta?: Record<string, any>; error: Error }) => {
        event.outcome = 'failed';
        event.error = params.error.message;
        Object.assign(event.meta, params.meta);
      },
    };
  }

  /** As a service factory, for `startTestBackend`. */
  get factory() {
    return mockServices.auditor.mock({
      createEvent: options => this.createEvent(options),
    }).factory;
  }
}
