// What the fake helm (test double) prints, per output format (-o table is the
// default: pkg/cli/output/output.go). Sources: helm v3.21.4.
const { deps, coalesceValues } = require('./chart.cjs');

/** Go's encoders (encoding/json, sigs.k8s.io/yaml) write map keys sorted. */
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map(k => [k, sorted(v[k])]),
  );
}

/** Go's time.ANSIC, e.g. "Mon Jan  2 15:04:05 2006", in UTC. */
function ansic(iso) {
  const d = new Date(iso);
  const day = d.toUTCString().slice(0, 3);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = n => String(n).padStart(2, '0');
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(
    d.getUTCHours(),
  )}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** cmd/helm/history.go releaseInfo, oldest first, at most --max (256). */
function history(records, cmd) {
  const rows = records.slice(-(cmd.flags.max ?? 256)).map(r => ({
    revision: r.revision,
    updated: r.updated,
    status: r.status,
    chart: r.chart,
    app_version: r.app_version,
    description: r.description,
  }));
  if (cmd.output === 'json') return `${JSON.stringify(rows)}\n`;
  if (cmd.output === 'yaml') return deps.YAML.stringify(rows);
  // WriteTable: a gosuri/uitable, cells padded to their column's width and
  // separated by a tab (uitable's default separator).
  const table = [
    ['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION'],
    ...rows.map(r => [
      String(r.revision),
      ansic(r.updated),
      r.status,
      r.chart,
      r.app_version,
      r.description,
    ]),
  ];
  const widths = table[0].map((_, c) =>
    Math.max(...table.map(row => row[c].length)),
  );
  return `${table
    .map(row => row.map((cell, c) => cell.padEnd(widths[c])).join('\t'))
    .join('\n')}\n`;
}

/** cmd/helm/get_values.go: user-supplied values, or with --all the computed ones. */
function getValues(record, cmd) {
  const values = sorted(
    cmd.flags.all
      ? coalesceValues(record.chartValues, record.config)
      : record.config ?? null,
  );
  if (cmd.output === 'json') return `${JSON.stringify(values)}\n`;
  if (cmd.output === 'yaml') return deps.YAML.stringify(values);
  const title = cmd.flags.all ? 'COMPUTED VALUES:' : 'USER-SUPPLIED VALUES:';
  return `${title}\n${deps.YAML.stringify(values)}`;
}

/** cmd/helm/status.go statusPrinter.WriteTable, the lines our records hold. */
function status(name, namespace, record) {
  return [
    `NAME: ${name}`,
    `LAST DEPLOYED: ${ansic(record.updated)}`,
    `NAMESPACE: ${namespace}`,
    `STATUS: ${record.status}`,
    `REVISION: ${record.revision}`,
    'TEST SUITE: None',
    '',
  ].join('\n');
}

module.exports = { history, getValues, status };
