// Command line of the fake helm (test double): helm 3's commands as cobra and
// pflag parse them, for the commands and flags the fake models. Sources cited
// are helm v3.21.4 (github.com/helm/helm, tag v3.21.4).
//
// Any flag the fake does not model fails with helm's own "unknown flag" error,
// also a flag real helm would accept: code under test that starts using a new
// flag must extend the fake (and say what it means) instead of passing silently.

/** pkg/cli/environment.go AddFlags: helm's global flags, on every command. */
const GLOBAL = {
  namespace: { short: 'n', type: 'string' },
  kubeconfig: { type: 'string' },
  'kube-context': { type: 'string' },
  'kube-token': { type: 'string' },
  'kube-as-user': { type: 'string' },
  'kube-as-group': { type: 'array' },
  'kube-apiserver': { type: 'string' },
  'kube-ca-file': { type: 'string' },
  'kube-tls-server-name': { type: 'string' },
  'kube-insecure-skip-tls-verify': { type: 'bool' },
  debug: { type: 'bool' },
};

/** cmd/helm/flags.go bindOutputFlag: -o/--output table|json|yaml. */
const OUTPUT = { output: { short: 'o', type: 'format' } };

/** Per command: usage line (for cobra's argument errors), arity, flags. */
const COMMANDS = {
  // cmd/helm/history.go: ExactArgs(1), --max, -o.
  history: {
    use: 'helm history RELEASE_NAME [flags]',
    args: { exactly: 1 },
    flags: { max: { type: 'int' }, ...OUTPUT },
  },
  // cmd/helm/get_values.go: ExactArgs(1), --revision, -a/--all, -o.
  'get values': {
    use: 'helm get values RELEASE_NAME [flags]',
    args: { exactly: 1 },
    flags: {
      revision: { type: 'int' },
      all: { short: 'a', type: 'bool' },
      ...OUTPUT,
    },
  },
  // cmd/helm/upgrade.go: ExactArgs(2) and the flags below (a subset).
  upgrade: {
    use: 'helm upgrade [RELEASE] [CHART] [flags]',
    args: { exactly: 2 },
    flags: {
      install: { short: 'i', type: 'bool' },
      'create-namespace': { type: 'bool' },
      values: { short: 'f', type: 'list' },
      wait: { type: 'bool' },
      timeout: { type: 'duration' },
      'reset-values': { type: 'bool' },
      'reuse-values': { type: 'bool' },
      'reset-then-reuse-values': { type: 'bool' },
      ...OUTPUT,
    },
  },
  // cmd/helm/rollback.go: MinimumNArgs(1) (RELEASE [REVISION]).
  rollback: {
    use: 'helm rollback <RELEASE> [REVISION] [flags]',
    args: { atLeast: 1 },
    flags: { wait: { type: 'bool' }, timeout: { type: 'duration' } },
  },
  // cmd/helm/uninstall.go: MinimumNArgs(1).
  uninstall: {
    use: 'helm uninstall RELEASE_NAME [...] [flags]',
    args: { atLeast: 1 },
    flags: {
      wait: { type: 'bool' },
      timeout: { type: 'duration' },
      'ignore-not-found': { type: 'bool' },
    },
  },
};

/** A failure helm reports as "Error: <message>" with exit code 1. */
class HelmUsageError extends Error {}

// Go's time.ParseDuration: one or more <number><unit>, e.g. 5m, 1h30m, 300s.
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/;

/** pflag's value checks, with pflag's error texts (spf13/pflag flag.go). */
function convert(name, spec, raw, written) {
  const bad = reason =>
    new HelmUsageError(
      `invalid argument "${raw}" for "${written}" flag: ${reason}`,
    );
  switch (spec.type) {
    case 'bool':
      if (!['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE'].includes(raw))
        throw bad(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return ['true', '1', 't', 'TRUE'].includes(raw);
    case 'int':
      if (!/^[-+]?\d+$/.test(raw))
        throw bad(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number(raw);
    case 'duration':
      if (!GO_DURATION.test(raw)) throw bad(`time: invalid duration "${raw}"`);
      return raw;
    case 'format': // pkg/cli/output/output.go ParseFormat
      if (!['table', 'json', 'yaml'].includes(raw))
        throw bad('invalid format type');
      return raw;
    default:
      return raw;
  }
}

/**
 * Parses argv like cobra + pflag: the command words first, then flags and
 * positionals mixed in any order, `--name value`, `--name=value`, `-n value`,
 * `-nvalue`, bool flags without a value, `--` ends the flags.
 */
function parseCommandLine(argv) {
  const words = [];
  let i = 0;
  while (i < argv.length && !argv[i].startsWith('-')) words.push(argv[i++]);
  const rest = argv.slice(i);
  let command = words[0];
  if (command === 'get') {
    if (words[1] !== 'values')
      throw new HelmUsageError(
        words[1] === undefined
          ? 'fake helm models only "helm get values"'
          : `unknown command "${words[1]}" for "helm get"\nRun 'helm get --help' for usage.`,
      );
    command = 'get values';
  }
  const def = COMMANDS[command];
  if (!def) {
    throw new HelmUsageError(
      `unknown command "${
        command ?? ''
      }" for "helm"\nRun 'helm --help' for usage.`,
    );
  }
  const specs = { ...GLOBAL, ...def.flags };
  const byShort = Object.fromEntries(
    Object.entries(specs)
      .filter(([, s]) => s.short)
      .map(([name, s]) => [s.short, name]),
  );
  const flags = {};
  const positional = words.slice(command === 'get values' ? 2 : 1);
  const all = [...rest];
  // Flags may come between positionals too (cobra interspersed parsing).
  for (let j = 0; j < all.length; j++) {
    const arg = all[j];
    if (arg === '--') {
      positional.push(...all.slice(j + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    let name;
    let value;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      value = eq >= 0 ? arg.slice(eq + 1) : undefined;
      if (!specs[name]) throw new HelmUsageError(`unknown flag: --${name}`);
    } else {
      const short = arg[1];
      name = byShort[short];
      if (!name)
        throw new HelmUsageError(
          `unknown shorthand flag: '${short}' in ${arg}`,
        );
      value = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : undefined;
    }
    const spec = specs[name];
    // pflag names a flag with a shorthand "-o, --output" in its errors.
    const written = spec.short ? `-${spec.short}, --${name}` : `--${name}`;
    if (spec.type === 'bool') {
      flags[name] = convert(name, spec, value ?? 'true', written);
      continue;
    }
    if (value === undefined) {
      if (j + 1 >= all.length) {
        throw new HelmUsageError(
          arg.startsWith('--')
            ? `flag needs an argument: --${name}`
            : `flag needs an argument: '${arg[1]}' in ${arg}`,
        );
      }
      value = all[++j];
    }
    const converted = convert(name, spec, value, written);
    if (spec.type === 'list') {
      // StringSliceVarP: repeatable, and each value is comma-separated.
      flags[name] = [...(flags[name] ?? []), ...converted.split(',')];
    } else if (spec.type === 'array') {
      flags[name] = [...(flags[name] ?? []), converted];
    } else {
      flags[name] = converted;
    }
  }
  // cmd/helm/require/args.go: ExactArgs / MinimumNArgs messages.
  const n = positional.length;
  const { exactly, atLeast } = def.args;
  const plural = k => (k === 1 ? 'argument' : 'arguments');
  if (exactly !== undefined && n !== exactly) {
    throw new HelmUsageError(
      `"helm ${command}" requires ${exactly} ${plural(exactly)}\n\nUsage:  ${
        def.use
      }`,
    );
  }
  if (atLeast !== undefined && n < atLeast) {
    throw new HelmUsageError(
      `"helm ${command}" requires at least ${atLeast} ${plural(
        atLeast,
      )}\n\nUsage:  ${def.use}`,
    );
  }
  return {
    command,
    positional,
    flags,
    namespace: flags.namespace ?? 'default',
    output: flags.output ?? 'table',
  };
}

module.exports = { parseCommandLine, HelmUsageError };
