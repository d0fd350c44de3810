// The fake helm (test double) a test gives the code under test as its helm
// binary: helm 3's history, get values, upgrade [--install], rollback and
// uninstall with helm's release states, messages and exit codes. Sources:
// helm v3.21.4 (github.com/helm/helm at tag v3.21.4); each rule names its file.
// State lives in the directory of the generated binary (store.cjs), so
// several fake helm processes can run at once, as scaffolder tasks do.
const fs = require('fs');
const path = require('path');
const { parseCommandLine, HelmUsageError } = require('./cli.cjs');
const chartLib = require('./chart.cjs');
const { createStore, lastOf, deployedOf, isPending } = require('./store.cjs');
const {
  history: printHistory,
  status: printStatus,
  getValues,
} = require('./output.cjs');

/** pkg/action/action.go errPending. */
const ERR_PENDING =
  'another operation (install/upgrade/rollback) is in progress';
// pkg/chartutil/validate_name.go: DNS-1123 subdomain, at most 53 characters.
const VALID_NAME =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Helm's error text without the "Error: " and "UPGRADE FAILED: " around it. */
const stripError = text =>
  String(text)
    .trim()
    .replace(/^Error: /, '')
    .replace(/^UPGRADE FAILED: /, '');

/** Helm's way to fail: "Error: ..." on stderr, exit code 1 (cmd/helm/helm.go main). */
class HelmFailure extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

function main(dir, paths) {
  Object.assign(chartLib.paths, paths);
  const store = createStore(dir);
  const argv = process.argv.slice(2);
  store.recordCall({
    argv,
    values: valuesText(argv),
    token: process.env.HELM_KUBETOKEN ?? null,
  });
  let cmd;
  try {
    cmd = parseCommandLine(argv);
    const injected = store.control().failures?.[cmd.command.split(' ')[0]];
    run(cmd, store, injected);
  } catch (error) {
    if (error instanceof HelmUsageError || error instanceof HelmFailure) {
      process.stderr.write(`Error: ${error.message}\n`);
      process.exit(error.exitCode ?? 1);
    }
    throw error;
  }
}

/** The values file's text as the caller wrote it, for the test's records. */
function valuesText(argv) {
  const i = argv.findIndex(a => a === '--values' || a === '-f');
  const file = i >= 0 ? argv[i + 1] : undefined;
  return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

function run(cmd, store, injected) {
  const key = name => `${cmd.namespace}/${name}`;
  const [name] = cmd.positional;
  // A read-only command made to fail (an unreachable cluster): before anything.
  if (injected && ['history', 'get values'].includes(cmd.command)) {
    throw new HelmFailure(stripError(injected.stderr), injected.exitCode);
  }
  const history = () =>
    store.transact(({ releases }) => releases[key(name)] ?? []);
  switch (cmd.command) {
    case 'history': {
      // pkg/action/history.go: no records is storage's ErrReleaseNotFound.
      const records = history();
      if (!records.length) throw new HelmFailure('release: not found');
      process.stdout.write(printHistory(records, cmd));
      return;
    }
    case 'get values': {
      const records = history();
      const record = cmd.flags.revision
        ? records.find(r => r.revision === cmd.flags.revision)
        : lastOf(records);
      if (!record) throw new HelmFailure('release: not found');
      process.stdout.write(getValues(record, cmd));
      return;
    }
    case 'upgrade':
      upgrade(cmd, store, injected);
      return;
    case 'rollback':
      rollback(cmd, store, injected);
      return;
    case 'uninstall':
      uninstall(cmd, store, injected);
      return;
    default:
      throw new HelmUsageError(`unknown command "${cmd.command}" for "helm"`);
  }
}

/**
 * cmd/helm/upgrade.go: with --install and no release (history empty), the
 * install path (action/install.go), its errors unwrapped; otherwise the
 * upgrade path (action/upgrade.go), its errors prefixed "UPGRADE FAILED: ".
 */
function upgrade(cmd, store, injected) {
  const [name, chartRef] = cmd.positional;
  const releaseKey = `${cmd.namespace}/${name}`;
  const existing = store.transact(({ releases }) => releases[releaseKey] ?? []);
  const installing = cmd.flags.install && existing.length === 0;
  const fail = message =>
    new HelmFailure(installing ? message : `UPGRADE FAILED: ${message}`);
  if (installing && cmd.output === 'table') {
    process.stdout.write(
      `Release "${name}" does not exist. Installing it now.\n`,
    );
  }
  if (name.length > 53 || !VALID_NAME.test(name)) {
    throw fail(
      installing
        ? `release name "${name}": invalid release name, must match regex ${VALID_NAME.source} and the length must not be longer than 53`
        : `release name is invalid: ${name}`,
    );
  }
  const chart = chartLib.readChart(path.resolve(chartRef));
  if (!chart) throw fail(`path "${chartRef}" not found`);
  const supplied = chartLib.mergeValueFiles(cmd.flags.values ?? []);

  let chartValues = chart.values;
  let config = supplied;
  let current;
  if (!installing) {
    // upgrade.go prepareUpgrade: the last record decides.
    const last = lastOf(existing);
    if (!last) throw fail(`"${name}" has no deployed releases`);
    if (isPending(last)) throw fail(ERR_PENDING);
    current = deployedOf(existing) ?? last;
    ({ chartValues, config } = reuseValues(
      cmd.flags,
      chart,
      current,
      supplied,
    ));
  }
  for (const warning of chartLib.coalesceWarnings(
    chart.name,
    config,
    chartValues,
  )) {
    process.stderr.write(`${warning}\n`);
  }
  const rendered = chartLib.renderRelease({
    chart,
    chartValues,
    config,
    name,
    namespace: cmd.namespace,
    isUpgrade: !installing,
  });
  if (rendered.error) throw fail(rendered.error);

  const record = {
    status: installing ? 'pending-install' : 'pending-upgrade',
    updated: new Date().toISOString(),
    chart: `${chart.name}-${chart.version}`,
    app_version: chart.appVersion,
    description: installing ? 'Initial install underway' : 'Preparing upgrade',
    config,
    chartValues,
    values: cmd.flags.values?.length
      ? fs.readFileSync(cmd.flags.values.at(-1), 'utf8')
      : '',
    manifest: rendered.manifest,
  };
  store.transact(({ releases, namespaces }) => {
    const now = releases[releaseKey] ?? [];
    if (installing) {
      // install.go availableName, and storage refusing a second create.
      if (now.length) throw fail('cannot re-use a name that is still in use');
      if (!namespaces.includes(cmd.namespace)) {
        if (!cmd.flags['create-namespace'])
          throw fail(
            `create: failed to create: namespaces "${cmd.namespace}" not found`,
          );
        namespaces.push(cmd.namespace);
      }
    } else if (isPending(lastOf(now))) throw fail(ERR_PENDING);
    record.revision = now.length + 1;
    releases[releaseKey] = [...now, record];
  });
  finish(store, releaseKey, record, cmd, injected, {
    failedDescription: msg =>
      installing
        ? `Release "${name}" failed: ${msg}`
        : `Upgrade "${name}" failed: ${msg}`,
    errorPrefix: installing ? '' : 'UPGRADE FAILED: ',
    done: installing ? 'Install complete' : 'Upgrade complete',
    onSuccess: () => {
      if (!installing && cmd.output === 'table')
        process.stdout.write(
          `Release "${name}" has been upgraded. Happy Helming!\n`,
        );
      process.stdout.write(printStatus(name, cmd.namespace, record));
    },
  });
}

/** upgrade.go reuseValues: which values the new revision renders with. */
function reuseValues(flags, chart, current, supplied) {
  if (flags['reset-values'])
    return { chartValues: chart.values, config: supplied };
  if (flags['reuse-values']) {
    // The old release's values become the chart's: the new chart's
    // values.yaml is not read at all (new keys in it stay unset).
    return {
      chartValues: chartLib.coalesceValues(current.chartValues, current.config),
      config: chartLib.coalesceTables(supplied, current.config),
    };
  }
  if (flags['reset-then-reuse-values']) {
    return {
      chartValues: chart.values,
      config: chartLib.coalesceTables(supplied, current.config),
    };
  }
  const empty = Object.keys(supplied).length === 0;
  return {
    chartValues: chart.values,
    config: empty && current.config ? current.config : supplied,
  };
}

/**
 * The part of an operation that talks to the cluster and waits (--wait): the
 * record is pending meanwhile. A test can make it fail (failOn) or hold it
 * (holdOn) until it lets go or signals the process: SIGTERM is helm's own
 * cancellation (cmd/helm/upgrade.go and install.go: "Release %s has been
 * cancelled.", the context is cancelled and the release marked failed);
 * SIGKILL leaves the record pending, as a killed helm does.
 */
function finish(store, releaseKey, record, cmd, injected, how) {
  const settle = (status, description) =>
    store.transact(({ releases }) => {
      const history = releases[releaseKey] ?? [];
      if (status === 'deployed') {
        for (const r of history)
          if (r.status === 'deployed') r.status = 'superseded';
      }
      const mine = history.find(r => r.revision === record.revision);
      if (mine) Object.assign(mine, { status, description });
      Object.assign(record, { status, description });
    });
  const failWith = (message, exitCode = 1) => {
    settle('failed', how.failedDescription(message));
    process.stderr.write(`Error: ${how.errorPrefix}${message}\n`);
    process.exit(exitCode);
  };
  const proceed = () => {
    if (injected) {
      settle('failed', how.failedDescription(stripError(injected.stderr)));
      process.stderr.write(`${String(injected.stderr).trim()}\n`);
      process.exit(injected.exitCode);
    }
    settle('deployed', how.done);
    how.onSuccess();
  };
  const verb = cmd.command;
  if (!store.control().hold?.includes(verb)) {
    proceed();
    return;
  }
  const heldFile = path.join(store.dir, `held-${process.pid}.json`);
  fs.writeFileSync(heldFile, JSON.stringify({ command: verb, releaseKey }));
  process.on('SIGTERM', () => {
    fs.rmSync(heldFile, { force: true });
    process.stdout.write(`Release ${cmd.positional[0]} has been cancelled.\n`);
    failWith('context canceled');
  });
  const timer = setInterval(() => {
    if (!store.control().hold?.includes(verb)) {
      clearInterval(timer);
      fs.rmSync(heldFile, { force: true });
      proceed();
    }
  }, 20);
}

/** action/rollback.go: a new revision with the target's config; no pending check. */
function rollback(cmd, store, injected) {
  const [name, revisionArg] = cmd.positional;
  const releaseKey = `${cmd.namespace}/${name}`;
  const record = store.transact(({ releases }) => {
    const history = releases[releaseKey] ?? [];
    const last = lastOf(history);
    if (!last) throw new HelmFailure('release: not found');
    const wanted =
      revisionArg === undefined ? last.revision - 1 : Number(revisionArg);
    if (!Number.isInteger(wanted))
      throw new HelmFailure(
        `could not convert revision to a number: strconv.Atoi: parsing "${revisionArg}": invalid syntax`,
      );
    const target = history.find(r => r.revision === wanted);
    if (!target) throw new HelmFailure(`release has no ${wanted} version`);
    const next = {
      ...target,
      revision: last.revision + 1,
      status: 'pending-rollback',
      updated: new Date().toISOString(),
      description: `Rollback to ${wanted}`,
    };
    releases[releaseKey] = [...history, next];
    return next;
  });
  finish(store, releaseKey, record, cmd, injected, {
    failedDescription: msg => `Release "${name}" failed: ${msg}`,
    errorPrefix: '',
    done: record.description,
    onSuccess: () =>
      process.stdout.write('Rollback was a success! Happy Helming!\n'),
  });
}

/** action/uninstall.go: every record goes (--keep-history is not modelled). */
function uninstall(cmd, store, injected) {
  if (injected)
    throw new HelmFailure(stripError(injected.stderr), injected.exitCode);
  for (const name of cmd.positional) {
    const releaseKey = `${cmd.namespace}/${name}`;
    const gone = store.transact(({ releases }) => {
      const history = releases[releaseKey] ?? [];
      if (!history.length) return false;
      delete releases[releaseKey];
      return true;
    });
    if (!gone && !cmd.flags['ignore-not-found'])
      throw new HelmFailure(
        `uninstall: Release not loaded: ${name}: release: not found`,
      );
    process.stdout.write(`release "${name}" uninstalled\n`);
  }
}

module.exports = { main };
