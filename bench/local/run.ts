// Local runtime benchmark: `node bench/local/run.ts` (npm run bench:local).
//
// Starts an environment of N demo guests (default 9; `-- --instances 32` or
// LOCO_BENCH_INSTANCES, at most MAX_INSTANCES from loco-common) on a
// fresh persistent state directory twice: first from cold (boots throttled to
// about one per core, each saving its boot snapshot), then again from those
// snapshots. Prints the time until every screen is live, idle CPU and RSS per
// instance, and the snapshot-vs-cold ratio. Needs the demo disk
// (scripts/prepare.sh). Takes a few minutes and both cores: run it alone.
//
// This file only relaunches Node with Backstage's TypeScript transform (the
// runtime's sources use extension-less imports), then runs measure.ts.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const result = spawnSync(
  process.execPath,
  [
    '--require',
    '@backstage/cli-node/config/nodeTransform.cjs',
    path.join(here, 'measure.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', cwd: path.resolve(here, '../..') },
);
process.exit(result.status ?? 1);
