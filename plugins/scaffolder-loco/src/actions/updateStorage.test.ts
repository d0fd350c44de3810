import { InputError } from '@backstage/errors';
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'yaml';
import { createFakeHelm, FakeHelm } from '../__testUtils__/fakeHelm';
import { CHART, makeContext, makeDeps } from '../__testUtils__/setup';
import { createLocoEnvironmentAction } from './createEnvironment';
import { updateLocoEnvironmentAction } from './updateEnvironment';

/**
 * Issue 16 point 3: Kubernetes refuses any change of a StatefulSet's
 * volumeClaimTemplates (apps/v1 validation: only replicas, ordinals,
 * template, updateStrategy, persistentVolumeClaimRetentionPolicy and
 * minReadySeconds may change), which Helm reports as a raw "UPGRADE FAILED:
 * ... Forbidden". The provisioner compares with the deployed values (`helm
 * get values --all`) and refuses such a change before Helm runs, and pins
 * the claims' values so a newer chart default cannot change them. A failed
 * update is rolled back and never uninstalls a release that was there.
 */

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
beforeEach(() => {
  helm = createFakeHelm();
});
afterEach(() => helm.cleanup());

const target = { runtime: 'kubernetes', cluster: 'prod-eu', namespace: 'loco' };

async function withRelease(
  storageMode: string,
  config?: Parameters<typeof makeDeps>[1],
) {
  const { deps } = makeDeps(helm, config);
  await createLocoEnvironmentAction(deps).handler(
    makeContext({ ...target, name: 'lan-party', instances: 2, storageMode }),
  );
  return updateLocoEnvironmentAction(deps);
}

const lastValues = () => yaml.parse(helm.calls().at(-1)!.values!);

it.each([['persistent'], ['hybrid']])(
  'refuses a new disk size for %s disks before Helm runs, with why, in a dry run too',
  async mode => {
    const update = await withRelease(mode);
    const before = helm.mutatingCommands();
    for (const isDryRun of [true, false]) {
      const run = update.handler(
        makeContext(
          { ...target, name: 'lan-party', storageSize: '4Gi' },
          { isDryRun },
        ),
      );
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(
        /PersistentVolumeClaims .*cannot change from 2Gi to 4Gi\. Nothing was changed/,
      );
    }
    expect(helm.mutatingCommands()).toEqual(before);
    expect(helm.releases()['loco/lan-party']).toHaveLength(1);
  },
);

it('changes the size limit of ephemeral disks', async () => {
  const update = await withRelease('ephemeral');
  await update.handler(
    makeContext({ ...target, name: 'lan-party', storageSize: '4Gi' }),
  );
  expect(lastValues().storage).toEqual({ mode: 'ephemeral', size: '4Gi' });
  expect(helm.releases()['loco/lan-party'].at(-1)!.status).toBe('deployed');
});

it('keeps the deployed claim size when a newer chart changes its default', async () => {
  const chart = path.join(mkdtempSync(path.join(tmpdir(), 'chart-')), 'chart');
  cpSync(CHART, chart, { recursive: true });
  try {
    const update = await withRelease('persistent', {
      config: c => {
        c.loco.helm.chart = chart;
      },
    });
    // The next chart version: bigger default disks.
    const values = path.join(chart, 'values.yaml');
    writeFileSync(
      values,
      readFileSync(values, 'utf8').replace(/^ {2}size: 2Gi$/m, '  size: 8Gi'),
    );
    await update.handler(
      makeContext({ ...target, name: 'lan-party', instances: 3 }),
    );
    expect(lastValues().storage).toEqual({
      mode: 'persistent',
      size: '2Gi',
      storageClassName: '',
    });
    // What the new revision deploys: the claims as they are.
    expect(helm.releases()['loco/lan-party'].at(-1)!.manifest).toContain(
      'storage: "2Gi"',
    );
  } finally {
    rmSync(path.dirname(chart), { recursive: true, force: true });
  }
});

it('never uninstalls a release whose update fails, even one without a deployed revision', async () => {
  const { deps } = makeDeps(helm);
  // A first install that failed and whose cleanup failed too: the release
  // exists, its only revision failed.
  helm.failOn('upgrade', { exitCode: 1, stderr: 'Error: timed out' });
  helm.failOn('uninstall', { exitCode: 1, stderr: 'Error: cluster gone' });
  await expect(
    createLocoEnvironmentAction(deps).handler(
      makeContext({
        ...target,
        name: 'lan-party',
        instances: 2,
        storageMode: 'persistent',
      }),
    ),
  ).rejects.toThrow(/Cleanup failed too/);
  helm.clearFailures();
  helm.failOn('upgrade', { exitCode: 1, stderr: 'Error: UPGRADE FAILED: no' });
  const commands = helm.commands().length;
  await expect(
    updateLocoEnvironmentAction(deps).handler(
      makeContext({ ...target, name: 'lan-party', instances: 3 }),
    ),
  ).rejects.toThrow(
    /no deployed revision to roll back to; it was left as it is/,
  );
  expect(helm.commands().slice(commands)).not.toContain('uninstall');
  expect(helm.releases()['loco/lan-party'].length).toBeGreaterThan(0);
});
