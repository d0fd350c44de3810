/**
 * `node bench/discovery/run.ts` (or `npm run bench:discovery`): runs
 * discoveryBench.ts under Backstage's TypeScript transform, which the
 * workspace packages need (extension-less imports, ESM-only client-node).
 */
const { spawn } = require('node:child_process');
const path = require('node:path');

const child = spawn(
  process.execPath,
  [
    '--require',
    '@backstage/cli-node/config/nodeTransform.cjs',
    path.join(__dirname, 'discoveryBench.ts'),
    ...process.argv.slice(2),
  ],
  { cwd: path.resolve(__dirname, '../..'), stdio: 'inherit' },
);
child.on('exit', (code: number | null) => process.exit(code ?? 1));
