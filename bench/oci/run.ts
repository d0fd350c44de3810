// OCI pull bench: `node bench/oci/run.ts` (npm run bench:oci).
//
// Starts a real registry (Debian's docker-registry) on loopback, publishes a
// 10 MB and a 1 GB snapshot with our client, then pulls each one several
// rounds, side by side: our client (pullSnapshot: manifest, config, the disk
// blob streamed to a file with its digest verified), `curl` fetching the same
// blob (the limit for one HTTP stream) and `skopeo copy` of the same tag to a
// dir: (when skopeo is installed). Prints MB/s medians, the ratio to curl and
// each tool's peak RSS, against the targets of issue 15 (>= 0.9x curl, memory
// flat in size). Our client's time is measured inside its process, from
// the pull's start, after one untimed 1 MB pull of another tag (the agent
// and the backend are long-running processes with their code warm);
// curl's and skopeo's include their process start, a few milliseconds.
// Peak RSS: ours from process.resourceUsage(), the others' from GNU time.
// Environment: BENCH_SIZES_MB (default "10,1024"),
// BENCH_ROUNDS (default 3). Needs about 3x the largest size free in the
// temp dir. Takes a minute or two; run it alone, both cores are used.
//
// This file only relaunches Node with Backstage's TypeScript transform (the
// client's sources use extension-less imports), then runs measure.ts.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const result = spawnSync(
  process.execPath,
  [
    '--require',
    '@backstage/cli-node/config/nodeTransform.cjs',
    path.join(here, 'measure.ts'),
  ],
  { stdio: 'inherit', cwd: path.resolve(here, '../..') },
);
process.exit(result.status ?? 1);
