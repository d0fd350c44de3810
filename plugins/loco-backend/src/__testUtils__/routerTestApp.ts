import express from 'express';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

/**
 * Backstage's auth and permission services as tests of one router use them:
 * requests carry no credentials unless a test sets a header, and every
 * permission is allowed, or denied with `allow: false`.
 */
export function mockAuthServices({ allow = true }: { allow?: boolean } = {}) {
  return {
    httpAuth: mockServices.httpAuth({
      defaultCredentials: mockCredentials.none(),
    }),
    permissions: mockServices.permissions({
      result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    }),
  };
}

/** A router behind Backstage's error handling (401 for AuthenticationError, 403 for NotAllowedError, ...). */
export function routerTestApp(router: express.Router) {
  return express().use(router).use(mockErrorHandler());
}
