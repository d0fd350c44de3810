import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';

/** What one VNC session was and did, recorded when it ends. */
export interface SessionSummary {
  closeCode: number;
  closeReason: string;
  durationMs: number;
  bytesToViewer: number;
  bytesToEmulator: number;
  /** Input messages (keys, pointer, clipboard, power) that reached the emulator. */
  inputPassed: number;
  /** Input messages the gateway dropped (view-only session). */
  inputDropped: number;
}

export interface SessionIdentity {
  user: string;
  environment: string;
  instance: number;
  mode: 'view' | 'control';
}

/**
 * Who watched and who played where, through Backstage's auditor: one
 * `vnc-session` event per session, opened when the session starts and
 * completed with its summary when it ends; refused sessions fail with the
 * reason. The upgrade request is not an express request (the auditor reads
 * the actor from one), so the actor goes into `meta.actor`. Auditing never
 * stands in the way of a session: its failures are logged.
 */
export class SessionAudit {
  constructor(
    private readonly auditor: AuditorService,
    private readonly logger: LoggerService,
  ) {}

  /** Records the start; the returned function records the end. */
  opened(session: SessionIdentity): (summary: SessionSummary) => void {
    const event = this.auditor.createEvent({
      eventId: 'vnc-session',
      // Typing into someone's emulator matters more than watching it.
      severityLevel: session.mode === 'control' ? 'medium' : 'low',
      meta: meta(session),
    });
    event.catch(error => this.failed(error));
    return summary => {
      event
        .then(e => e.success({ meta: { ...summary } }))
        .catch(error => this.failed(error));
    };
  }

  /** Records a session that was refused after its user was known. */
  refused(session: Omit<SessionIdentity, 'mode'>, reason: string): void {
    this.auditor
      .createEvent({ eventId: 'vnc-session', meta: meta(session) })
      .then(e => e.fail({ error: new Error(reason) }))
      .catch(error => this.failed(error));
  }

  private failed(error: unknown) {
    this.logger.warn(`Could not record a VNC session audit event: ${error}`);
  }
}

function meta(session: Partial<SessionIdentity>) {
  return {
    actor: session.user ?? null,
    environment: session.environment ?? null,
    instance: session.instance ?? null,
    ...(session.mode ? { mode: session.mode } : {}),
  };
}
