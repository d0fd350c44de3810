/**
 * Why a registry operation failed, worded for a health reason or an API
 * answer: the HTTP status and what the registry said, never a stack.
 */
export class OciError extends Error {
  constructor(
    message: string,
    /** The registry's HTTP status, when the failure was an HTTP answer. */
    readonly status?: number,
    /** The distribution spec's error code (UNAUTHORIZED, MANIFEST_UNKNOWN, ...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'OciError';
  }
}

/** A blob whose bytes do not hash to the digest that names it. */
export class OciDigestError extends OciError {
  constructor(message: string) {
    super(message);
    this.name = 'OciDigestError';
  }
}

/**
 * The first error of a distribution-spec error body
 * (`{"errors":[{"code":"...","message":"..."}]}`), when there is one.
 */
export function registryErrorOf(
  body: string,
): { code: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(body) as {
      errors?: Array<{ code?: unknown; message?: unknown }>;
    };
    const first = parsed.errors?.[0];
    if (first && typeof first.code === 'string') {
      return {
        code: first.code,
        message: typeof first.message === 'string' ? first.message : '',
      };
    }
  } catch {
    // not JSON: the caller shows the status alone
  }
  return undefined;
}
