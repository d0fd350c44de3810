// Shared by the chart tests: render the chart (real `helm template` when helm
// is on PATH, else tools/helm-render), check values against
// values.schema.json, and validate rendered objects against Kubernetes schemas.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import * as k8sClient from '@kubernetes/client-node';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import {
  ConfigMap,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

export const REPO = resolve(import.meta.dirname, '../..');
export const CHART = join(REPO, 'chart');
export const PRESETS = [
  'persistent',
  'hybrid',
  'ephemeral',
  'hostpath',
] as const;

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
  [key: string]: any;
};

export type RenderResult = {
  ok: boolean;
  objects: K8sObject[];
  stdout: string;
  stderr: string;
  /** Which renderer produced it: "helm" or "helm-render". */
  renderer: string;
};

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The real helm, unless LOCO_CHART_RENDERER=helm-render forces the fallback. */
export const HELM =
  process.env.LOCO_CHART_RENDERER === 'helm-render' ? undefined : which('helm');

let helmRenderBin: string | undefined;

/** Builds tools/helm-render once per process (the build script is idempotent). */
export function helmRender(): string {
  if (helmRenderBin) return helmRenderBin;
  const build = spawnSync('sh', [join(REPO, 'tools/helm-render/build.sh')], {
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    throw new Error(
      `building helm-render failed:\n${build.stdout}${build.stderr}`,
    );
  }
  const cache = process.env.LOCO_CACHE_DIR ?? join(REPO, '.cache');
  helmRenderBin = join(cache, 'bin', 'helm-render');
  return helmRenderBin;
}

const schema = JSON.parse(
  readFileSync(join(CHART, 'values.schema.json'), 'utf8'),
);
// strict: false because the schema uses "description" etc. freely; allErrors
// gives every problem at once in failure messages.
const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(schema);

/** Checks fully merged values (defaults included) against values.schema.json. */
export function schemaErrors(values: unknown): string[] {
  if (validateSchema(values)) return [];
  return (validateSchema.errors ?? []).map(
    e => `${e.instancePath || '/'} ${e.message}`,
  );
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes override objects as values files (JSON is YAML) for -f. */
function withValuesFiles<T>(
  overrides: object[],
  fn: (files: string[]) => T,
): T {
  const dir = mkdtempSync(join(tmpdir(), 'loco-chart-'));
  try {
    const files = overrides.map((o, i) => {
      const f = join(dir, `values-${i}.yaml`);
      writeFileSync(f, JSON.stringify(o));
      return f;
    });
    return fn(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type RenderOptions = {
  release?: string;
  namespace?: string;
  /** Values files passed before the overrides (e.g. a preset). */
  files?: string[];
  /** Extra renderer arguments, e.g. ['--show-notes'] (helm-render only). */
  extraArgs?: string[];
  /** false: stdout is not a manifest stream (e.g. --show-notes). */
  parse?: boolean;
};

/** Merged values as helm would validate them (helm-render --print-values). */
export function mergedValues(
  overrides: object[] = [],
  opts: RenderOptions = {},
): any {
  return withValuesFiles(overrides, files => {
    const fArgs = [...(opts.files ?? []), ...files].flatMap(f => ['-f', f]);
    const r = run(helmRender(), ['--print-values', 'r', CHART, ...fArgs]);
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  });
}

/**
 * Renders the chart with the overrides as values files. With helm, `helm
 * template` validates the schema itself; with helm-render the merged values
 * are validated with ajv first, so both reject bad values the same way.
 */
export function renderChart(
  overrides: object | object[] = [],
  opts: RenderOptions = {},
): RenderResult {
  const list = Array.isArray(overrides) ? overrides : [overrides];
  const release = opts.release ?? 'loco-demo';
  const namespace = opts.namespace ?? 'loco';
  return withValuesFiles(list, files => {
    const fArgs = [...(opts.files ?? []), ...files].flatMap(f => ['-f', f]);
    if (HELM) {
      const r = run(HELM, [
        'template',
        release,
        CHART,
        '-n',
        namespace,
        ...fArgs,
        ...(opts.extraArgs ?? []),
      ]);
      return finish(r, 'helm', opts.parse);
    }
    const printed = run(helmRender(), [
      '--print-values',
      release,
      CHART,
      ...fArgs,
    ]);
    if (printed.status !== 0) return finish(printed, 'helm-render');
    const errors = schemaErrors(JSON.parse(printed.stdout));
    if (errors.length > 0) {
      return {
        ok: false,
        objects: [],
        stdout: '',
        stderr: `values don't meet the specifications of the schema(s):\n${errors.join(
          '\n',
        )}`,
        renderer: 'helm-render',
      };
    }
    const r = run(helmRender(), [
      '-q',
      release,
      CHART,
      '-n',
      namespace,
      ...fArgs,
      ...(opts.extraArgs ?? []),
    ]);
    return finish(r, 'helm-render', opts.parse);
  });
}

function finish(
  r: { status: number; stdout: string; stderr: string },
  renderer: string,
  parse = true,
): RenderResult {
  if (r.status !== 0 || !parse)
    return {
      ok: r.status === 0,
      objects: [],
      stdout: r.stdout,
      stderr: r.stderr,
      renderer,
    };
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(r.stdout)) {
    if (doc.errors.length > 0)
      throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj !== null && obj !== undefined) objects.push(obj);
  }
  return { ok: true, objects, stdout: r.stdout, stderr: r.stderr, renderer };
}

/** Renders and fails loudly, for tests that expect success. */
export function render(
  overrides: object | object[] = [],
  opts: RenderOptions = {},
): K8sObject[] {
  const r = renderChart(overrides, opts);
  if (!r.ok) throw new Error(`render failed (${r.renderer}):\n${r.stderr}`);
  return r.objects;
}

export function presetFile(name: string): string {
  return join(CHART, 'presets', `${name}.yaml`);
}

// ---------------------------------------------------------------------------
// Kubernetes schema validation

type ModelClass = new (data: any) => { validate(): void };

// kubernetes-models: types, required fields, formats (int32, quantities...).
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/**
 * kubernetes-models' schemas allow unknown fields (as the OpenAPI spec does),
 * so a misspelt field would pass and be dropped by the API server with only a
 * warning. This walks @kubernetes/client-node's generated type maps and
 * reports every field the API does not know, like `kubectl --validate=strict`.
 */
function unknownFields(
  value: any,
  type: string,
  path: string,
  out: string[],
): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value))
      value.forEach((v, i) => unknownFields(v, array[1], `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(value))
      unknownFields(v, map[1], `${path}.${k}`, out);
    return;
  }
  const model = (k8sClient as any)[type];
  if (
    typeof model?.getAttributeTypeMap !== 'function' ||
    typeof value !== 'object'
  )
    return;
  const attrs: { baseName: string; type: string }[] =
    model.getAttributeTypeMap();
  for (const [k, v] of Object.entries(value)) {
    const attr = attrs.find(a => a.baseName === k);
    if (!attr) out.push(`${path}.${k}: unknown field for ${type}`);
    else unknownFields(v, attr.type, `${path}.${k}`, out);
  }
}

/** Returns the problems of one rendered object ([] = valid). */
export function k8sErrors(obj: K8sObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const Model = MODELS[key];
  if (!Model)
    return [
      `${key}: no Kubernetes schema known to the tests; add one to MODELS`,
    ];
  const errors: string[] = [];
  try {
    new Model(structuredClone(obj)).validate();
  } catch (e) {
    errors.push(`${key} ${obj.metadata?.name}: ${(e as Error).message}`);
  }
  const version = obj.apiVersion.split('/').pop() ?? '';
  const rootType = `${version.charAt(0).toUpperCase()}${version.slice(1)}${
    obj.kind
  }`;
  if ((k8sClient as any)[rootType]) {
    unknownFields(obj, rootType, `${obj.kind}/${obj.metadata?.name}`, errors);
  }
  return errors;
}

// ---------------------------------------------------------------------------
// Small accessors

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter(o => o.kind === kind);
}

export function one(
  objects: K8sObject[],
  kind: string,
  name?: string,
): K8sObject {
  const found = byKind(objects, kind).filter(
    o => name === undefined || o.metadata.name === name,
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`,
    );
  }
  return found[0];
}

/** Every pod template in the render, with where it came from. */
export function podSpecs(
  objects: K8sObject[],
): { owner: string; metadata: any; spec: any }[] {
  const out: { owner: string; metadata: any; spec: any }[] = [];
  for (const o of objects) {
    if (o.kind === 'Pod')
      out.push({
        owner: `Pod/${o.metadata.name}`,
        metadata: o.metadata,
        spec: o.spec,
      });
    else if (o.spec?.template?.spec) {
      out.push({
        owner: `${o.kind}/${o.metadata.name}`,
        metadata: o.spec.template.metadata,
        spec: o.spec.template.spec,
      });
    }
  }
  return out;
}

export function envOf(container: any): Record<string, any> {
  return Object.fromEntries(
    (container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]),
  );
}
