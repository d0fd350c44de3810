// Test double host: runs Backstage's real Kubernetes backend plugin in a plain
// Node process. Under jest it cannot load: its dist imports
// @kubernetes/client-node with a dynamic import(), which jest only runs with
// --experimental-vm-modules (and then other ESM in the backend chain fails).
// Reads {config, entities} as JSON from argv[2]; prints "PORT <n>" when up;
// stops when stdin closes (the parent test ends).
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';

const { config, entities } = JSON.parse(process.argv[2]);
const backend = await startTestBackend({
  features: [
    kubernetesPlugin,
    catalogServiceMock.factory({ entities }),
    mockServices.rootConfig.factory({ data: config }),
  ],
});
process.stdout.write(`PORT ${backend.server.port()}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await backend.stop();
  process.exit(0);
});
