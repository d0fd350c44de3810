// The chart's PrometheusRule and Grafana dashboard: valid against their
// schemas, and every metric, label and state they name is one the emulator
// agent (agentMetrics.ts) or the portal (LocoMetrics.ts) really exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { INSTANCE_STATES } from '../../plugins/loco-common/src/health.ts';
import { CHART, REPO, byKind, k8sErrors, one, render } from './helpers.ts';

const SOURCES = [
  'plugins/loco-node/src/agent/agentMetrics.ts',
  'plugins/loco-node/src/metrics/LocoMetrics.ts',
].map(f => readFileSync(join(REPO, f), 'utf8'));

/** Metric names the code registers (quoted `loco_...` names). */
const METRICS = new Set(
  SOURCES.flatMap(s => [...s.matchAll(/'(loco_[a-z0-9_]+)'/g)].map(m => m[1])),
);
/** Labels the scrape adds to every series (ServiceMonitor on the pods). */
const SCRAPE_LABELS = ['namespace', 'pod'];

/** Problems of one PromQL expression: unknown metrics, labels or states. */
function promqlProblems(expr: string): string[] {
  const problems: string[] = [];
  const metrics = [...expr.matchAll(/\b(loco_[a-z0-9_]+)\b/g)].map(m => m[1]);
  if (metrics.length === 0) problems.push(`${expr}: names no Loco metric`);
  for (const m of metrics)
    if (!METRICS.has(m)) problems.push(`${expr}: no metric ${m} in the code`);
  const labels = [
    ...[...expr.matchAll(/\b([a-z_]+)\s*(=~|!=|=)\s*"/g)].map(m => m[1]),
    ...[...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap(m =>
      m[1].split(',').map(l => l.trim()),
    ),
  ];
  for (const label of labels) {
    const known =
      SCRAPE_LABELS.includes(label) ||
      SOURCES.some(s => s.includes(`'${label}'`) || s.includes(`${label}:`));
    if (!known) problems.push(`${expr}: no label ${label} in the code`);
  }
  for (const [, state] of expr.matchAll(/\bstate\s*=\s*"([^"]*)"/g))
    if (!INSTANCE_STATES.includes(state as any))
      problems.push(`${expr}: no state ${state}`);
  return problems;
}

test('the metric list is read from the code (the check can fail)', () => {
  assert.ok(METRICS.has('loco_emulator_state'));
  assert.ok(METRICS.has('loco_discovery_errors_total'));
  assert.notDeepEqual(promqlProblems('loco_emulator_healthy == 0'), []);
  assert.notDeepEqual(
    promqlProblems('loco_emulator_state{state="sick"} == 1'),
    [],
  );
  assert.notDeepEqual(promqlProblems('sum by (node) (loco_emulator_up)'), []);
});

test('no PrometheusRule or dashboard unless asked for', () => {
  const objects = render();
  assert.deepEqual(byKind(objects, 'PrometheusRule'), []);
  assert.ok(!objects.some(o => o.metadata.name.endsWith('-dashboard')));
});

test('the PrometheusRule is valid and alerts on unhealthy instances, QEMU down, restarts and discovery errors', () => {
  const objects = render({
    prometheusRule: { enabled: true, labels: { release: 'prom' } },
  });
  const rule = one(objects, 'PrometheusRule');
  assert.deepEqual(k8sErrors(rule), []);
  assert.equal(rule.metadata.labels?.release, 'prom');
  const rules = rule.spec.groups.flatMap((g: any) => g.rules);
  assert.deepEqual(
    rules.map((r: any) => r.alert),
    [
      'LocoInstanceUnhealthy',
      'LocoInstanceDown',
      'LocoInstanceRestarting',
      'LocoDiscoveryErrors',
    ],
  );
  assert.deepEqual(
    rules.flatMap((r: any) => promqlProblems(r.expr)),
    [],
  );
  // Scoped to this release's environment and namespace.
  for (const r of rules.slice(0, 3)) {
    assert.match(r.expr, /namespace="loco", environment="loco-demo"/);
  }
  // Alertmanager templates survive Helm's rendering.
  assert.match(rules[0].annotations.summary, /\{\{ \$labels\.pod \}\}/);
});

test('PrometheusRule values: threshold, duration, discovery alert off, extra rules', () => {
  const rule = one(
    render({
      prometheusRule: {
        enabled: true,
        unhealthyFor: '10m',
        restartsPerHour: 5,
        discoveryErrors: false,
        additionalRules: [
          { alert: 'Mine', expr: 'sum(loco_vnc_sessions) > 100' },
        ],
      },
    }),
    'PrometheusRule',
  );
  assert.deepEqual(k8sErrors(rule), []);
  const rules = rule.spec.groups[0].rules;
  assert.equal(rules[0].for, '10m');
  assert.match(rules[2].expr, />= 5$/);
  assert.deepEqual(
    rules.map((r: any) => r.alert),
    [
      'LocoInstanceUnhealthy',
      'LocoInstanceDown',
      'LocoInstanceRestarting',
      'Mine',
    ],
  );
});

// The parts of Grafana's dashboard JSON model a dashboard must have to load
// and show its panels (grafana.com/docs: "JSON model").
const DASHBOARD_SCHEMA = {
  type: 'object',
  required: ['title', 'uid', 'schemaVersion', 'panels', 'templating'],
  properties: {
    title: { type: 'string', minLength: 1 },
    uid: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,40}$' },
    schemaVersion: { type: 'integer', minimum: 30 },
    templating: {
      type: 'object',
      required: ['list'],
      properties: {
        list: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'type'],
            properties: {
              type: { enum: ['datasource', 'query', 'custom', 'constant'] },
            },
          },
        },
      },
    },
    panels: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'type', 'title', 'gridPos', 'targets', 'datasource'],
        properties: {
          id: { type: 'integer', minimum: 1 },
          type: { enum: ['timeseries', 'stat', 'gauge', 'table', 'bargauge'] },
          gridPos: {
            type: 'object',
            required: ['h', 'w', 'x', 'y'],
            properties: {
              h: { type: 'integer', minimum: 1 },
              w: { type: 'integer', minimum: 1, maximum: 24 },
              x: { type: 'integer', minimum: 0, maximum: 23 },
              y: { type: 'integer', minimum: 0 },
            },
          },
          targets: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['refId', 'expr'],
              properties: { expr: { type: 'string', minLength: 1 } },
            },
          },
        },
      },
    },
  },
};

const dashboardFile = JSON.parse(
  readFileSync(join(CHART, 'files/grafana-dashboard.json'), 'utf8'),
);

test('the Grafana dashboard matches the dashboard model and queries only real metrics', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(
    DASHBOARD_SCHEMA,
  );
  assert.ok(validate(dashboardFile), JSON.stringify(validate.errors, null, 2));
  const panels = dashboardFile.panels as any[];
  assert.equal(new Set(panels.map(p => p.id)).size, panels.length);
  for (const p of panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
  }
  const exprs = [
    ...panels.flatMap(p => p.targets.map((t: any) => t.expr)),
    ...dashboardFile.templating.list
      .filter((v: any) => v.type === 'query')
      .map((v: any) => v.definition),
  ];
  assert.deepEqual(exprs.flatMap(promqlProblems), []);
  // Each panel's variables exist.
  const variables = new Set(
    dashboardFile.templating.list.map((v: any) => v.name),
  );
  for (const e of exprs)
    for (const [, v] of e.matchAll(/\$([a-z_]+)/g))
      assert.ok(variables.has(v), `${e}: no variable ${v}`);
});

test('the dashboard ships as a sidecar ConfigMap holding the file unchanged', () => {
  const objects = render({
    grafanaDashboard: {
      enabled: true,
      annotations: { grafana_folder: 'Loco' },
    },
  });
  const map = one(
    objects,
    'ConfigMap',
    'loco-demo-lego-loco-cluster-dashboard',
  );
  assert.deepEqual(k8sErrors(map), []);
  assert.equal(map.metadata.labels?.grafana_dashboard, '1');
  assert.equal(map.metadata.annotations?.grafana_folder, 'Loco');
  assert.deepEqual(
    JSON.parse(map.data['loco-environments.json']),
    dashboardFile,
  );
});
