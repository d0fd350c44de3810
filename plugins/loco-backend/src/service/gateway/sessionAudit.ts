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

/** What one sound socket was and got, recorded when it ends. */
export interface ListeningSummary {
  closeCode: number;
  closeReason: string;
  durationMs: number;
  bytesToListener: number;
  /** Chunks the listener missed because its socket was behind (stale sound dropped). */
  chunksDropped: number;
}

/** The audit events' ids: one per screen session, one per sound socket. */
export const AUDIT_EVENTS = {
  screen: 'vnc-session',
  sound: 'audio-session',
} as const;

export interface SessionIdentity {
  user: string;
  environment: string;
  instance: number;
  mode: 'view' | 'control';
}

/**
 * Who watched, listened and played where, through Backstage's auditor: one
 * `vnc-session` event per screen session and one `audio-session` event per
 * sound socket, opened when it starts and completed with its summary when it
 * ends; refused ones fail with the reason. The upgrade request is not an express request (the auditor reads
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
    // Typing into someone's emulator matters more than watching it.
    return this.begin(
      AUDIT_EVENTS.screen,
      session.mode === 'control' ? 'medium' : 'low',
      session,
    );
  }

  /** Records a sound socket's start; the returned function records its end. */
  listening(
    session: Omit<SessionIdentity, 'mode'>,
  ): (summary: ListeningSummary) => void {
    // Hearing is watching's kin: low, like a view-only screen.
    return this.begin(AUDIT_EVENTS.sound, 'low', session);
  }

  /** Starts an event now; the returned function records its success with the summary. */
  private begin(
    eventId: string,
    severityLevel: 'low' | 'medium',
    session: Partial<SessionIdentity>,
  ): (summary: object) => void {
    const event = this.auditor.createEvent({
      eventId,
      severityLevel,
      meta: meta(session),
    });
    event.catch(error => this.failed(error));
    return summary => {
      event
        .then(e => e.success({ meta: { ...summary } }))
        .catch(error => this.failed(error));
    };
  }

  /** Records a session (screen or sound) that was refused after its user was known. */
  refused(
    session: Omit<SessionIdentity, 'mode'>,
    reason: string,
    kind: keyof typeof AUDIT_EVENTS = 'screen',
  ): void {
    this.auditor
      .createEvent({ eventId: AUDIT_EVENTS[kind], meta: meta(session) })
      .then(e => e.fail({ error: new Error(reason) }))
      .catch(error => this.failed(error));
  }

  private failed(error: unknown) {
    this.logger.warn(`Could not record a session audit event: ${error}`);
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
