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

// The portal ships the chart; a portal upgrade may bring a chart with a new
// value its templates use. An update of an environment made before must keep
// the user's values and take the new chart's defaults. (helm's --reuse-values
// renders with the OLD chart's values, so the new value would be missing.)

// Each helm call is a process of the fake helm that validates and renders the chart.
jest.setTimeout(30_000);

let helm: FakeHelm;
let chart: string;
beforeEach(() => {
  helm = createFakeHelm();
  chart = path.join(mkdtempSync(path.join(tmpdir(), 'loco-chart-')), 'chart');
  cpSync(CHART, chart, { recursive: true });
});
afterEach(() => {
  helm.cleanup();
  rmSync(path.dirname(chart), { recursive: true, force: true });
});

/** The next chart version: a new value, allowed by its schema, used by a new template. */
function upgradeChart() {
  const values = path.join(chart, 'values.yaml');
  writeFileSync(
    values,
    `${readFileSync(values, 'utf8')}\nbanner:\n  text: Welcome to the LAN\n`,
  );
  const schemaFile = path.join(chart, 'values.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  schema.properties.banner = {
    type: 'object',
    properties: { text: { type: 'string' } },
  };
  writeFileSync(schemaFile, JSON.stringify(schema));
  writeFileSync(
    path.join(chart, 'templates', 'banner.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-banner\ndata:\n  text: {{ .Values.banner.text | quote }}\n',
  );
}

it('scales an environment after the chart gained a value: user values kept, new defaults taken', async () => {
  const { deps } = makeDeps(helm, {
    config: c => {
      c.loco.helm.chart = chart;
    },
  });
  const target = {
    runtime: 'kubernetes',
    cluster: 'prod-eu',
    namespace: 'loco',
  };
  await createLocoEnvironmentAction(deps).handler(
    makeContext({
      ...target,
      name: 'lan-party',
      instances: 9,
      storageMode: 'persistent',
      snapshotTag: 'win98-base',
      owner: 'group:default/team-a',
      wait: true,
    }),
  );
  upgradeChart();
  await updateLocoEnvironmentAction(deps).handler(
    makeContext({ ...target, name: 'lan-party', instances: 12, wait: true }),
  );
  const [, latest] = helm.releases()['loco/lan-party'];
  expect(latest.status).toBe('deployed');
  expect(latest.config).toEqual({
    environment: { name: 'lan-party', owner: 'group:default/team-a' },
    instances: 12,
    // The claims' values, pinned by the update (updateStorage.test.ts).
    storage: { mode: 'persistent', size: '2Gi', storageClassName: '' },
    snapshot: { tag: 'win98-base', registry: 'ghcr.io/example/loco-snapshots' },
  });
  const banner = yaml
    .parseAllDocuments(latest.manifest)
    .map(d => d.toJS())
    .find(o => o?.metadata?.name === 'lan-party-banner');
  expect(banner?.data).toEqual({ text: 'Welcome to the LAN' });
});
