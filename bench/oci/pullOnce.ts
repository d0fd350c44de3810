// One pull by our client in a process of its own, so its peak RSS is its
// own: prints {"seconds": s, "maxRssKb": kb} as one JSON line.
//   node --require nodeTransform pullOnce.ts <host/repo> <tag> <destination> [warm-up tag]
// The agent and the backend pull from long-running processes whose code is
// already loaded and compiled: with a warm-up tag, one small pull of it runs
// first, untimed, so a 10 MB pull measures transfer, not module start-up.
import fs from 'node:fs/promises';
import { RegistryClient } from '../../plugins/loco-node/src/oci/RegistryClient';
import { pullSnapshot } from '../../plugins/loco-node/src/oci/snapshotArtifact';

async function main() {
  const [repository, tag, destination, warmUpTag] = process.argv.slice(2);
  const client = new RegistryClient(repository);
  if (warmUpTag) {
    await pullSnapshot(client, warmUpTag, `${destination}.warm-up`);
    await fs.rm(`${destination}.warm-up`, { force: true });
  }
  const started = process.hrtime.bigint();
  await pullSnapshot(client, tag, destination);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      maxRssKb: process.resourceUsage().maxRSS,
    })}\n`,
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
