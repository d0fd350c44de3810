#!/usr/bin/env node
// Bundles the emulator agent (plugins/loco-node/src/agent/main.ts, the same
// supervisor the local runtime runs) into one JavaScript file for the image:
//
//   node emulator-image/build-agent.mjs [OUTFILE]   (default: emulator-image/dist/loco-agent.cjs)
//
// The image runs it on Debian bookworm's own `nodejs` package (Node 18), so the
// bundle targets Node 18. Run it before building the image (the Dockerfile
// copies dist/loco-agent.cjs).
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NODE_TARGET = 'node18';
const outfile = resolve(process.argv[2] ?? join(here, 'dist/loco-agent.cjs'));

await build({
  entryPoints: [join(here, '../plugins/loco-node/src/agent/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: NODE_TARGET,
  legalComments: 'none',
  logLevel: 'warning',
});
console.log(`agent bundle: ${outfile}`);
