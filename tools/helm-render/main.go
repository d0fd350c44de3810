// helm-render renders a Helm chart the way `helm template` does, for machines
// without a helm binary. It copies the parts of Helm's engine that change what
// a chart renders to (sprig minus env/expandenv, include/tpl/required/lookup,
// toYaml through sigs.k8s.io/yaml, missingkey=zero with "<no value>" removed,
// values-file deep merge, manifest sorting and "# Source:" headers) and refuses
// or documents the rest; see README.md for what it does not support.
//
// Usage: helm-render [flags] RELEASE CHART_DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const usage = `helm-render: render a Helm chart like "helm template" (subset, see README.md)

Usage: helm-render [flags] RELEASE CHART_DIR

Flags:
  -f, --values FILE        values file merged over the chart's values.yaml (repeatable, later wins)
  -n, --namespace NS       .Release.Namespace (default "default")
      --kube-version V     .Capabilities.KubeVersion (default v1.30.0)
  -a, --api-versions GV    extra .Capabilities.APIVersions entry (repeatable)
      --is-upgrade         set .Release.IsUpgrade instead of .Release.IsInstall
      --skip-tests         leave out test hooks (helm.sh/hook: test), like helm
      --show-notes         print the rendered NOTES.txt instead of the manifests
      --print-values       print the merged values as JSON and exit (what helm
                           would validate against values.schema.json)
  -q, --quiet              do not warn that values.schema.json is not checked

values.schema.json is NOT validated by this program (no JSON-schema library is
available to it); validate the --print-values output with a real validator.
`

type options struct {
	release     string
	chartDir    string
	namespace   string
	kubeVersion string
	valuesFiles []string
	apiVersions []string
	isUpgrade   bool
	skipTests   bool
	showNotes   bool
	printValues bool
	quiet       bool
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n\n%s", err, usage)
		os.Exit(2)
	}
	if err := run(opts); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}

// parseArgs accepts flags before and after the positional arguments, as helm's
// cobra-based CLI does (the standard flag package stops at the first positional).
func parseArgs(args []string) (*options, error) {
	o := &options{namespace: "default", kubeVersion: "v1.30.0"}
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := arg, "", false
		if strings.HasPrefix(arg, "--") && strings.Contains(arg, "=") {
			parts := strings.SplitN(arg, "=", 2)
			name, value, hasValue = parts[0], parts[1], true
		}
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "-h", "--help":
			fmt.Print(usage)
			os.Exit(0)
		case "-f", "--values":
			var v string
			v, err = next()
			o.valuesFiles = append(o.valuesFiles, v)
		case "-n", "--namespace":
			o.namespace, err = next()
		case "--kube-version":
			o.kubeVersion, err = next()
		case "-a", "--api-versions":
			var v string
			v, err = next()
			o.apiVersions = append(o.apiVersions, strings.Split(v, ",")...)
		case "--is-upgrade":
			o.isUpgrade = true
		case "--skip-tests":
			o.skipTests = true
		case "--show-notes":
			o.showNotes = true
		case "--print-values":
			o.printValues = true
		case "-q", "--quiet":
			o.quiet = true
		default:
			if strings.HasPrefix(arg, "-") {
				return nil, fmt.Errorf("unsupported flag %q (helm-render supports values files only; no --set)", arg)
			}
			positional = append(positional, arg)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(positional) != 2 {
		return nil, fmt.Errorf("expected RELEASE and CHART_DIR, got %d arguments", len(positional))
	}
	o.release, o.chartDir = positional[0], positional[1]
	return o, nil
}

func run(o *options) error {
	chart, err := loadChart(o.chartDir)
	if err != nil {
		return err
	}
	values, err := mergedValues(chart, o.valuesFiles)
	if err != nil {
		return err
	}
	if o.printValues {
		return printJSON(values)
	}
	if chart.hasSchema && !o.quiet {
		fmt.Fprintln(os.Stderr, "helm-render: warning: values.schema.json is not validated here; check --print-values with a JSON-schema validator")
	}
	caps, err := newCapabilities(o.kubeVersion, o.apiVersions)
	if err != nil {
		return err
	}
	if err := checkKubeVersion(chart, caps.KubeVersion.Version); err != nil {
		return err
	}
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name":      o.release,
			"Namespace": o.namespace,
			"Service":   "Helm",
			"IsInstall": !o.isUpgrade,
			"IsUpgrade": o.isUpgrade,
			"Revision":  1,
		},
		"Chart":        chart.metadata,
		"Capabilities": caps,
		"Files":        chart.files,
	}
	rendered, err := renderTemplates(chart, top)
	if err != nil {
		return err
	}
	notesKey := filepath.ToSlash(filepath.Join(chart.name, "templates", "NOTES.txt"))
	if o.showNotes {
		fmt.Print(rendered[notesKey])
		return nil
	}
	delete(rendered, notesKey)
	stream, err := manifestStream(rendered, o.skipTests)
	if err != nil {
		return err
	}
	fmt.Print(stream)
	return nil
}
