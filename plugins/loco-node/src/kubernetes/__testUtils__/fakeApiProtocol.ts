// The wire vocabulary of the fake API server: paths, label selectors, and the
// `Status` bodies kube-apiserver answers failures with.
import { parseLabelSelector, type LabelMatcher } from './labelSelector';

/** The resources the fake API server serves. */
export type Resource = 'pods' | 'statefulsets' | 'secrets';

/** The kind and apiVersion of each resource's objects. */
export const KIND: Record<Resource, { kind: string; apiVersion: string }> = {
  pods: { kind: 'Pod', apiVersion: 'v1' },
  secrets: { kind: 'Secret', apiVersion: 'v1' },
  statefulsets: { kind: 'StatefulSet', apiVersion: 'apps/v1' },
};

/** The API group of each resource ("" is the core group), as RBAC names it. */
export const API_GROUP: Record<Resource, string> = {
  pods: '',
  secrets: '',
  statefulsets: 'apps',
};

/**
 * A `Status` object, as kube-apiserver sends for failures
 * (k8s.io/apimachinery/pkg/apis/meta/v1/types.go `Status`; built by
 * k8s.io/apimachinery/pkg/api/errors/errors.go).
 */
export const failureStatus = (
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

export type FailureStatus = ReturnType<typeof failureStatus>;

/**
 * RBAC denial: errors.go `NewForbidden` with the message the authorization
 * filter writes (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/
 * responsewriters/errors.go `forbiddenMessage`), e.g. `pods is forbidden: User
 * "system:serviceaccount:loco:portal" cannot list resource "pods" in API group
 * "" in the namespace "loco"`.
 */
export function forbiddenStatus(request: {
  user: string;
  verb: string;
  resource: Resource;
  namespace: string | null;
  name?: string;
}): FailureStatus {
  const { user, verb, resource, namespace, name } = request;
  const group = API_GROUP[resource];
  const scope = namespace
    ? `in the namespace "${namespace}"`
    : 'at the cluster scope';
  const subject = name ? `${resource} "${name}"` : resource;
  return failureStatus(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
    { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource },
  );
}

/**
 * errors.go `NewTooManyRequests`: the watch cache answers this while it
 * (re)initializes, e.g. right after an API server restart
 * (staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go, "storage is
 * (re)initializing", 1 s). The `Retry-After` header comes from
 * staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/
 * writers.go `ErrorNegotiated`, which copies `details.retryAfterSeconds` into it.
 */
export const tooManyRequestsStatus = (
  message = 'storage is (re)initializing',
  retryAfterSeconds = 1,
) =>
  failureStatus(429, 'TooManyRequests', message, {
    retryAfterSeconds,
  });

/** errors.go `NewInternalError`: 500 with the cause in `details.causes`. */
export const internalErrorStatus = (cause = 'etcdserver: request timed out') =>
  failureStatus(500, 'InternalError', `Internal error occurred: ${cause}`, {
    causes: [{ message: cause }],
  });

/** errors.go `NewServiceUnavailable`, e.g. while etcd is unreachable. */
export const serviceUnavailableStatus = (message = 'etcd is unavailable') =>
  failureStatus(503, 'ServiceUnavailable', message);

/**
 * errors.go `NewTimeoutError`, as the timeout filter sends it
 * (staging/src/k8s.io/apiserver/pkg/server/filters/timeout.go).
 */
export const timeoutStatus = (
  message = 'request did not complete within requested timeout - context deadline exceeded',
) => failureStatus(504, 'Timeout', `Timeout: ${message}`, {});

/** The resource, namespace and name an API path names, or null. */
export function parsePath(
  pathname: string,
): { resource: Resource; namespace: string | null; name?: string } | null {
  const m =
    /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(pods|secrets)(?:\/([^/]+))?$/.exec(
      pathname,
    ) ??
    /^\/apis\/apps\/v1(?:\/namespaces\/([^/]+))?\/(statefulsets)(?:\/([^/]+))?$/.exec(
      pathname,
    );
  if (!m) return null;
  return { namespace: m[1] ?? null, resource: m[2] as Resource, name: m[3] };
}

/** Label selectors as kube-apiserver reads them; throws SelectorError (→ 400) when malformed. */
export function parseSelector(raw: string): LabelMatcher {
  return parseLabelSelector(raw);
}
