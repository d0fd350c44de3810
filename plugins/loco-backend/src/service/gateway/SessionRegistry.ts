/** One open gateway session as the registry sees it. */
export interface RegisteredSession {
  readonly user: string;
  close(code: number, reason: string): void;
}

/**
 * Every open VNC session of this backend: enforces the per-user cap (a slot is
 * taken before the VNC connection is opened, so parallel upgrades cannot
 * overshoot it) and closes everything on shutdown.
 */
export class SessionRegistry {
  private readonly perUser = new Map<string, number>();
  private readonly sessions = new Set<RegisteredSession>();

  constructor(private readonly maxSessionsPerUser: number) {}

  /** Takes a slot for `user`; returns its release function, or undefined when at the cap. */
  reserve(user: string): (() => void) | undefined {
    const count = this.perUser.get(user) ?? 0;
    if (count >= this.maxSessionsPerUser) return undefined;
    this.perUser.set(user, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perUser.get(user) ?? 1) - 1;
      if (left > 0) this.perUser.set(user, left);
      else this.perUser.delete(user);
    };
  }

  add(session: RegisteredSession): () => void {
    this.sessions.add(session);
    return () => this.sessions.delete(session);
  }

  get size(): number {
    return this.sessions.size;
  }

  sessionsOf(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  closeAll(reason: string) {
    for (const session of [...this.sessions]) session.close(1001, reason);
  }
}
