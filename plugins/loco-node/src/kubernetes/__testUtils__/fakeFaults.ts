import {
  failureStatus,
  forbiddenStatus,
  internalErrorStatus,
  serviceUnavailableStatus,
  timeoutStatus,
  tooManyRequestsStatus,
  type FailureStatus,
  type Resource,
} from './fakeApiProtocol';

/** The verbs kube-apiserver's authorizer sees for our requests. */
export type Verb = 'get' | 'list' | 'watch' | 'delete';

export interface RequestFacts {
  verb: Verb;
  resource: Resource;
  namespace: string | null;
  name?: string;
}

export interface Match {
  verb?: Verb;
  resource?: Resource;
  namespace?: string;
}

/** A failure the fake answers instead of serving, as kube-apiserver or etcd produce them. */
export type Fault =
  | { code: 429; message?: string; retryAfterSeconds?: number }
  | { code: 500; cause?: string }
  | { code: 503; message?: string }
  | { code: 504; message?: string }
  /** Accepted and never answered: a half-dead API server or a stuck proxy. */
  | { code: 'hang' }
  /** A watch answered 200 and ended at once with no event: a proxy's short idle timeout. */
  | { code: 'close' };

export type Answer =
  | { status: FailureStatus; headers: Record<string, string> }
  | { behaviour: 'hang' | 'close' };

const matches = (m: Match, r: RequestFacts) =>
  (!m.verb || m.verb === r.verb) &&
  (!m.resource || m.resource === r.resource) &&
  (!m.namespace || m.namespace === r.namespace);

function statusOf(fault: Fault & { code: number }): FailureStatus {
  switch (fault.code) {
    case 429:
      return tooManyRequestsStatus(fault.message, fault.retryAfterSeconds);
    case 500:
      return internalErrorStatus(fault.cause);
    case 503:
      return serviceUnavailableStatus(fault.message);
    case 504:
      return timeoutStatus(fault.message);
    default:
      return failureStatus(500, 'InternalError', 'unknown fault');
  }
}

/**
 * TEST DOUBLE of the API server's refusals: RBAC denials (403) and injected
 * failures (429, 5xx), each answered with kube-apiserver's `Status` body.
 * Order as in the real filter chain
 * (staging/src/k8s.io/apiserver/pkg/server/config.go
 * `DefaultBuildHandlerChain`): authentication, then priority and fairness
 * (429), then authorization (403), then the handler and storage (429 from the
 * watch cache, 5xx).
 */
export class FakeFaults {
  private readonly denied: Match[] = [];
  private readonly pending: { match: Match; fault: Fault; left: number }[] = [];

  /** RBAC denies requests that match (as a Role without the verb); returns the undo. */
  forbid(match: Match): () => void {
    this.denied.push(match);
    return () => {
      const i = this.denied.indexOf(match);
      if (i >= 0) this.denied.splice(i, 1);
    };
  }

  /** The next `times` requests that match fail with `fault` (Infinity: until `clear`). */
  fail(match: Match, fault: Fault, times = 1): void {
    this.pending.push({ match, fault, left: times });
  }

  clear(): void {
    this.denied.length = 0;
    this.pending.length = 0;
  }

  /** What to answer instead of serving the request, or null to serve it. */
  answer(request: RequestFacts, user: string): Answer | null {
    const throttled = this.take(request, f => f.code === 429);
    if (throttled) return throttled;
    if (this.denied.some(m => matches(m, request))) {
      return { status: forbiddenStatus({ ...request, user }), headers: {} };
    }
    return this.take(request, f => f.code !== 429);
  }

  private take(
    request: RequestFacts,
    which: (fault: Fault) => boolean,
  ): Answer | null {
    const rule = this.pending.find(
      p => p.left > 0 && which(p.fault) && matches(p.match, request),
    );
    if (!rule) return null;
    rule.left -= 1;
    if (rule.fault.code === 'hang' || rule.fault.code === 'close')
      return { behaviour: rule.fault.code };
    const status = statusOf(rule.fault);
    const retry = (status.details as { retryAfterSeconds?: number } | undefined)
      ?.retryAfterSeconds;
    return {
      status,
      headers: retry ? { 'retry-after': String(retry) } : {},
    };
  }
}
