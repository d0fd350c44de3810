// The chart side of the fake helm (test double): values as helm merges them,
// values.schema.json as helm validates it, templates rendered through
// tools/helm-render (the project's `helm template` work-alike), so anything
// the real chart would refuse fails here too. Sources: helm v3.21.4.
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawnSync } = require('child_process');
const { createRequire } = require('module');

/** Set by the wrapper script: where the repository's packages are. */
const paths = { yaml: '', ajv: '', helmRender: '' };
// Loaded on first use: each costs a quarter of a second per helm call.
const deps = {
  get YAML() {
    return require(paths.yaml);
  },
  get Ajv() {
    return require(paths.ajv).Ajv;
  },
  get helmRender() {
    return paths.helmRender;
  },
};

const isTable = v => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go's %v of a value, for helm's warning texts (maps print sorted: map[a:1 b:2]). */
function goValue(v) {
  if (isTable(v))
    return `map[${Object.keys(v)
      .sort()
      .map(k => `${k}:${goValue(v[k])}`)
      .join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  return v === null ? '<nil>' : String(v);
}

/**
 * pkg/chartutil/coalesce.go CoalesceTables(dst, src): dst (higher priority)
 * wins, tables merge key by key. Used for --reuse-values and
 * --reset-then-reuse-values (upgrade.go reuseValues). Returns a new object.
 */
function coalesceTables(dst, src) {
  const out = structuredClone(dst ?? {});
  for (const [key, value] of Object.entries(src ?? {})) {
    if (!(key in out)) out[key] = structuredClone(value);
    else if (isTable(out[key]) && isTable(value))
      out[key] = coalesceTables(out[key], value);
  }
  return out;
}

/**
 * chartutil.CoalesceValues(chart, config): the user's config over the chart's
 * values, tables merged, a user `null` deleting the chart's key.
 */
function coalesceValues(chartValues, config) {
  const out = structuredClone(chartValues ?? {});
  for (const [key, value] of Object.entries(config ?? {})) {
    if (value === null) delete out[key];
    else if (isTable(value) && isTable(out[key]))
      out[key] = coalesceValues(out[key], value);
    else out[key] = structuredClone(value);
  }
  return out;
}

/** pkg/cli/values/options.go MergeValues: later files win, maps merge. */
function mergeValueFiles(files) {
  let out = {};
  for (const file of files) {
    const parsed = deps.YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
    if (!isTable(parsed))
      throw new Error(
        `failed to parse ${file}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${typeof parsed} into Go value of type map[string]interface {}`,
      );
    out = mergeMaps(out, parsed);
  }
  return out;
}

function mergeMaps(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = isTable(v) && isTable(out[k]) ? mergeMaps(out[k], v) : v;
  }
  return out;
}

/**
 * The warnings helm prints while coalescing user values over the chart's
 * (pkg/chartutil/coalesce.go at v3.21.4: coalesceValues line 237 for the top
 * level, coalesceTablesFullKey lines 316 and 319 below it; helm's log has
 * Lshortfile, so file and line lead the text). A top-level scalar over a
 * table is no warning there (the schema catches it).
 */
function coalesceWarnings(chartName, config, chartValues) {
  const warnings = [];
  for (const [key, chartValue] of Object.entries(chartValues ?? {})) {
    const user = config?.[key];
    if (!isTable(user)) continue;
    if (isTable(chartValue))
      nestedWarnings(user, chartValue, `${chartName}.${key}`, warnings);
    else if (chartValue !== null && chartValue !== undefined)
      warnings.push(
        `coalesce.go:237: warning: skipped value for ${chartName}.${key}: Not a table.`,
      );
  }
  return warnings;
}

function nestedWarnings(user, chartValues, prefix, warnings) {
  for (const [key, chartValue] of Object.entries(chartValues)) {
    if (!(key in user) || user[key] === null) continue;
    const fullKey = `${prefix}.${key}`;
    if (isTable(chartValue)) {
      if (isTable(user[key]))
        nestedWarnings(user[key], chartValue, fullKey, warnings);
      else
        warnings.push(
          `coalesce.go:316: warning: cannot overwrite table with non table for ${fullKey} (${goValue(
            chartValue,
          )})`,
        );
    } else if (isTable(user[key]) && chartValue !== null) {
      warnings.push(
        `coalesce.go:319: warning: destination for ${fullKey} is a table. Ignoring non-table value (${goValue(
          chartValue,
        )})`,
      );
    }
  }
}

function readChart(dir) {
  const file = path.join(dir, 'Chart.yaml');
  if (!fs.existsSync(file)) return undefined;
  const meta = deps.YAML.parse(fs.readFileSync(file, 'utf8'));
  const valuesFile = path.join(dir, 'values.yaml');
  const schemaFile = path.join(dir, 'values.schema.json');
  return {
    dir,
    name: meta.name,
    version: meta.version,
    appVersion: meta.appVersion ?? '',
    values: fs.existsSync(valuesFile)
      ? deps.YAML.parse(fs.readFileSync(valuesFile, 'utf8')) ?? {}
      : {},
    schema: fs.existsSync(schemaFile)
      ? JSON.parse(fs.readFileSync(schemaFile, 'utf8'))
      : undefined,
  };
}

function run(args) {
  const r = spawnSync(deps.helmRender, args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  const error = r.stderr
    .split('\n')
    .find(l => l.startsWith('Error: '))
    ?.slice('Error: '.length);
  return { ok: r.status === 0, stdout: r.stdout, error: error ?? r.stderr };
}

/**
 * Renders a release the way helm's install/upgrade does before it touches the
 * cluster (chartutil.ToRenderValuesWithSchemaValidation, then renderResources):
 * `chartValues` stand for the chart's values.yaml (with --reuse-values they
 * are the old release's, upgrade.go: `chart.Values = oldVals`), `config` is
 * the user-supplied values. Returns the manifest, or helm's error text.
 */
function renderRelease({
  chart,
  chartValues,
  config,
  name,
  namespace,
  isUpgrade,
}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-helm-chart-'));
  try {
    fs.cpSync(chart.dir, dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'values.yaml'),
      JSON.stringify(chartValues),
    );
    const userFile = path.join(dir, '.user-values.json');
    fs.writeFileSync(userFile, JSON.stringify(config));
    const merged = run(['--print-values', name, dir, '-f', userFile]);
    if (!merged.ok) return { error: merged.error };
    if (chart.schema) {
      const problems = schemaProblems(chart.schema, JSON.parse(merged.stdout));
      if (problems.length) {
        // chartutil/values.go + jsonschema.go; the lines are ajv's words in
        // helm's "- at '<path>': <problem>" layout.
        return {
          error: `values don't meet the specifications of the schema(s) in the following chart(s):\n${
            chart.name
          }:\n${problems.join('\n')}\n`,
        };
      }
    }
    const args = ['-q', name, dir, '-n', namespace, '-f', userFile];
    const rendered = run(isUpgrade ? [...args, '--is-upgrade'] : args);
    if (!rendered.ok) return { error: rendered.error };
    return { manifest: rendered.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The schema's validator. Compiling it costs ajv ~170 ms, paid on every helm
 * call otherwise, so the compiled code (ajv standalone) is kept in the temp
 * directory under the schema's hash and evaluated on later calls.
 */
function compileSchema(schema) {
  const text = JSON.stringify(schema);
  const hash = crypto.createHash('sha256').update(text).digest('hex');
  const cached = path.join(
    os.tmpdir(),
    `fake-helm-schema-${hash.slice(0, 16)}.js`,
  );
  const requireFromAjv = createRequire(paths.ajv);
  if (!fs.existsSync(cached)) {
    const ajv = new deps.Ajv({
      allErrors: true,
      strict: false,
      code: { source: true },
    });
    const standalone = requireFromAjv('ajv/dist/standalone').default;
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, standalone(ajv, ajv.compile(schema)));
    fs.renameSync(tmp, cached);
  }
  const module = { exports: {} };
  // eslint-disable-next-line no-new-func
  new Function('require', 'module', 'exports', fs.readFileSync(cached, 'utf8'))(
    requireFromAjv,
    module,
    module.exports,
  );
  return module.exports.default ?? module.exports;
}

function schemaProblems(schema, values) {
  const validate = compileSchema(schema);
  if (validate(values)) return [];
  return validate.errors.map(
    e => `- at '${e.instancePath || ''}': ${e.message}`,
  );
}

module.exports = {
  deps,
  paths,
  readChart,
  renderRelease,
  coalesceTables,
  coalesceValues,
  coalesceWarnings,
  mergeValueFiles,
};
