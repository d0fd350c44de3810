// Browser wall bench (issue 21): `npm run bench:wall [-- --instances 32]`.
//
// Starts the demo portal with the local runtime and an environment of N demo
// guests (default 9; `--instances N` or LOCO_BENCH_WALL_INSTANCES) on a state
// directory kept between runs (.loco/e2e-bench-wall-N, so later runs start
// from boot snapshots), opens the Loco tab in Debian's Chromium and measures,
// for our wall and for the peer (Debian's noVNC, one vnc_lite.html per
// instance through our gateway): time until every tile paints the guest's
// screen (pixels read in the page), browser and backend CPU per live tile
// idle and while every screen changes, and bytes per second per tile; then
// prints ratios ours/peer and the targets, with a breakdown of where
// our time to paint goes (scripts, environment, socket created, upgrade
// accepted, first bytes, first framebuffer data). Needs the demo disk and
// the built app (scripts/prepare.sh; rebuild packages/app after changing the
// plugin: the portal serves its dist) and novnc (scripts/bootstrap.sh).
// Options: --rounds N (5), --cpu-rounds N (3) of --cpu-seconds S (5),
// --viewport WxH (1440x900; 32 tiles need 1920x2400: 1920x1440 left a row
// out of view, and tiles out of view pause), --paint-only (our rounds alone, to
// compare a change back to back), --profile FILE (the page's JavaScript CPU
// profile of the last click, for Chrome DevTools).
//
// This file only relaunches Node on measure.ts (Node's own TypeScript
// loading, like the e2e tests whose support code the bench reuses).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const here = import.meta.dirname;
const result = spawnSync(
  process.execPath,
  [
    '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
    path.join(here, 'measure.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', cwd: path.resolve(here, '../..') },
);
process.exit(result.status ?? 1);
