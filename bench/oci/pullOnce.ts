// One pull by our client in a process of its own, so its peak RSS is its
// own: prints {"seconds": s, "maxRssKb": kb} as one JSON line.
//   node --require nodeTransform pullOnce.ts <host/repo> <tag> <destination>
import { RegistryClient } from '../../plugins/loco-node/src/oci/RegistryClient';
import { pullSnapshot } from '../../plugins/loco-node/src/oci/snapshotArtifact';

async function main() {
  const [repository, tag, destination] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  await pullSnapshot(new RegistryClient(repository), tag, destination);
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
