// The Dockerfile cannot be built here (no Docker engine), so check what the
// image's runtime depends on: every file the entrypoint runs is copied next to
// it, the packages it calls are installed, and the defaults it sets are valid
// entrypoint input that puts VNC and health where the Helm chart looks.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { qemuCommandLine, REPO } from './helpers/vm.ts';

const IMAGE_DIR = join(REPO, 'emulator-image');
const dockerfile = () => readFile(join(IMAGE_DIR, 'Dockerfile'), 'utf8');

/** The runtime stage: everything after the last FROM. */
async function runtimeStage(): Promise<string> {
  const text = await dockerfile();
  return text.slice(text.lastIndexOf('\nFROM '));
}

/** ENV KEY=VALUE pairs of the runtime stage (line continuations joined). */
async function runtimeEnv(): Promise<Record<string, string>> {
  const stage = (await runtimeStage()).replace(/\\\n\s*/g, ' ');
  const env: Record<string, string> = {};
  for (const line of stage.split('\n').filter(l => l.startsWith('ENV '))) {
    for (const [, key, value] of line.slice(4).matchAll(/([A-Z_]+)=(\S+)/g))
      env[key] = value;
  }
  return env;
}

test('the entrypoint and every script and Python module it runs are copied into one directory', async () => {
  const stage = await runtimeStage();
  const copy = /^COPY --chmod=0755 (.+) (\/usr\/local\/lib\/loco\/)$/m.exec(
    stage,
  );
  assert.ok(copy, 'a COPY into /usr/local/lib/loco/');
  const copied = copy[1].split(/\s+/).sort();
  const scripts = (await readdir(IMAGE_DIR)).filter(f => /\.(py|sh)$/.test(f));
  assert.deepEqual(copied, scripts.sort());
  assert.match(
    stage,
    /^ENTRYPOINT \["\/usr\/local\/lib\/loco\/entrypoint\.sh"\]$/m,
  );
});

test('the runtime installs what the entrypoint calls', async () => {
  const stage = await runtimeStage();
  const install = /apt-get install -y --no-install-recommends ([^\\\n]+)/.exec(
    stage,
  );
  assert.ok(install);
  for (const pkg of ['qemu-system-x86', 'qemu-utils', 'socat', 'python3']) {
    assert.ok(install[1].split(/\s+/).includes(pkg), `installs ${pkg}`);
  }
});

test("the image's defaults are valid input: VNC on TCP 5901 and health on 8080, as the chart expects", async () => {
  const env = await runtimeEnv();
  assert.equal(env.LOCO_VNC, '0.0.0.0:1');
  assert.equal(env.LOCO_HEALTH_LISTEN, '0.0.0.0:8080');
  assert.equal(env.LOCO_RUN_DIR, '/run/loco');
  const argv = qemuCommandLine({
    ...env,
    LOCO_ENV: 'img-docker',
    LOCO_DISK: '/var/lib/loco/disk.qcow2',
  });
  assert.equal(argv[argv.indexOf('-vnc') + 1], '0.0.0.0:1');
  assert.match(await runtimeStage(), /^EXPOSE 5901 8080$/m);
});
