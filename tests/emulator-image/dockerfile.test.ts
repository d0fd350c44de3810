// What the image's runtime stage promises the chart and the portal; the image
// itself is built and run in image.test.ts.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGENT_PORT } from '../../plugins/loco-common/src/agent.ts';
import { REPO } from './helpers/vm.ts';

const IMAGE_DIR = join(REPO, 'emulator-image');

/** The runtime stage: everything after the last FROM, line continuations joined. */
async function runtimeStage(): Promise<string> {
  const text = await readFile(join(IMAGE_DIR, 'Dockerfile'), 'utf8');
  return text.slice(text.lastIndexOf('\nFROM ')).replace(/\\\n\s*/g, ' ');
}

test("the entrypoint is the agent bundle, run by Debian's own Node (what build-agent.mjs targets)", async () => {
  const stage = await runtimeStage();
  assert.match(
    stage,
    /^COPY dist\/loco-agent\.cjs \/usr\/local\/lib\/loco\/loco-agent\.cjs$/m,
  );
  assert.match(
    stage,
    /^ENTRYPOINT \["node", "\/usr\/local\/lib\/loco\/loco-agent\.cjs"\]$/m,
  );
  const install = /apt-get install -y --no-install-recommends ([^&]+)/.exec(
    stage,
  );
  assert.ok(install);
  for (const pkg of ['qemu-system-x86', 'qemu-utils', 'nodejs'])
    assert.ok(install[1].split(/\s+/).includes(pkg), `installs ${pkg}`);
  // bookworm's nodejs is 18: the bundle must not need more.
  const script = await readFile(join(IMAGE_DIR, 'build-agent.mjs'), 'utf8');
  assert.match(script, /const NODE_TARGET = 'node18';/);
});

test('snapshots need no oras: the agent pulls over HTTPS with the CA certificates from apt', async () => {
  const text = await readFile(join(IMAGE_DIR, 'Dockerfile'), 'utf8');
  const code = text
    .split('\n')
    .filter(line => !line.trimStart().startsWith('#'))
    .join('\n');
  assert.doesNotMatch(code, /oras/i, 'no oras binary or ORAS_* build args');
  const stage = await runtimeStage();
  const install = /apt-get install -y --no-install-recommends ([^&]+)/.exec(
    stage,
  );
  assert.ok(install?.[1].split(/\s+/).includes('ca-certificates'));
});

test('VNC on TCP 5901 and the agent on its contract port, as the chart expects', async () => {
  const stage = await runtimeStage();
  const env = Object.fromEntries(
    [
      ...(/^ENV (.+)$/m.exec(stage)?.[1] ?? '').matchAll(/([A-Z_]+)=(\S+)/g),
    ].map(m => [m[1], m[2]]),
  );
  assert.equal(env.LOCO_VNC, '0.0.0.0:1');
  assert.equal(env.LOCO_AGENT_LISTEN, `0.0.0.0:${AGENT_PORT}`);
  assert.equal(env.LOCO_RUN_DIR, '/run/loco');
  assert.match(stage, new RegExp(`^EXPOSE 5901 ${AGENT_PORT}$`, 'm'));
  assert.match(stage, /^USER 1000:1000$/m);
});
