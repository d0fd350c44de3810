// The wire vocabulary of the fake API server: paths, label selectors, Status.

/** The resources the fake API server serves. */
export type Resource = 'pods' | 'statefulsets' | 'secrets';

/** A `Status` object, as kube-apiserver sends for failures. */
export const failureStatus = (
  code: number,
  reason: string,
  message: string,
) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message,
  reason,
  code,
});

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

/** Equality-based selectors, as kube-apiserver reads them. */
export function parseSelector(
  raw: string,
): (labels: Record<string, string>) => boolean {
  const terms = raw
    .split(',')
    .map(t => t.trim())
    .filter(Boolean)
    .map(term => {
      let m = /^([^!=]+)!=(.*)$/.exec(term);
      if (m) return (l: Record<string, string>) => l[m![1]] !== m![2];
      m = /^([^!=]+)==?(.*)$/.exec(term);
      if (m) return (l: Record<string, string>) => l[m![1]] === m![2];
      if (term.startsWith('!'))
        return (l: Record<string, string>) => !(term.slice(1) in l);
      return (l: Record<string, string>) => term in l;
    });
  return labels => terms.every(t => t(labels));
}
