// The portal's Kubernetes runtime in a node:test suite. Its sources import
// without file extensions and reach packages Node cannot load as TypeScript,
// so they are bundled once (esbuild, as the agent is) and imported.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { REPO } from './vm.ts';

export type PortalClient = typeof import('./portalClient.entry.ts');

export async function loadPortalClient(): Promise<PortalClient> {
  const dir = join(REPO, '.cache/test-bundles');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `portal-client-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'portalClient.entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Bundled CommonJS packages still call require().
    banner: {
      js: "import { createRequire as __loco_require } from 'node:module'; const require = __loco_require(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
