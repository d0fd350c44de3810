// Portal sources in a node:test suite. They import without file extensions
// and through package names (loco-common's index), which Node's own
// TypeScript loading cannot follow, so an entry file is bundled (esbuild, as
// the agent is) and imported.
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const REPO = resolve(import.meta.dirname, '../../..');

/** Bundles `entry` (a path) for this process and imports it. */
export async function importBundled<T>(entry: string): Promise<T> {
  const dir = join(REPO, '.cache/test-bundles');
  mkdirSync(dir, { recursive: true });
  const name = basename(entry).replace(/\.entry\.ts$/, '');
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
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
