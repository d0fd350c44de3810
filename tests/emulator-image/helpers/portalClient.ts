// The portal's Kubernetes runtime in a node:test suite, bundled (bundle.ts).
import { join } from 'node:path';
import { importBundled } from './bundle.ts';

export type PortalClient = typeof import('./portalClient.entry.ts');

export function loadPortalClient(): Promise<PortalClient> {
  return importBundled(join(import.meta.dirname, 'portalClient.entry.ts'));
}
