package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver"
	"sigs.k8s.io/yaml"
)

// chart is what helm-render reads from a chart directory.
type chart struct {
	dir       string
	name      string
	metadata  map[string]interface{} // .Chart, with Helm's capitalised field names
	values    map[string]interface{} // values.yaml
	templates map[string]string      // "<name>/templates/<path>" -> source
	files     files                  // .Files (Get/GetBytes only)
	hasSchema bool
}

// Same rule helm lint applies to Chart.yaml's version (SemVer 2).
var semverRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func loadChart(dir string) (*chart, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("not a chart directory: %v", err)
	}
	var meta map[string]interface{}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	if meta["apiVersion"] != "v2" {
		return nil, fmt.Errorf("Chart.yaml: apiVersion must be v2 (got %v)", meta["apiVersion"])
	}
	name, _ := meta["name"].(string)
	version, _ := meta["version"].(string)
	if name == "" || !semverRe.MatchString(version) {
		return nil, fmt.Errorf("Chart.yaml: name is required and version must be SemVer 2 (got %q, %q)", name, version)
	}
	if deps, ok := meta["dependencies"].([]interface{}); ok && len(deps) > 0 {
		return nil, fmt.Errorf("Chart.yaml: dependencies/subcharts are not supported by helm-render")
	}
	c := &chart{dir: dir, name: name, metadata: chartMetadata(meta), templates: map[string]string{}}

	c.values = map[string]interface{}{}
	if raw, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		if c.values, err = parseValues(raw, "values.yaml"); err != nil {
			return nil, err
		}
	}
	_, err = os.Stat(filepath.Join(dir, "values.schema.json"))
	c.hasSchema = err == nil

	tdir := filepath.Join(dir, "templates")
	err = filepath.Walk(tdir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		src, err := os.ReadFile(p)
		c.templates[filepath.ToSlash(filepath.Join(name, rel))] = string(src)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading templates: %v", err)
	}
	c.files = files{dir: dir}
	return c, nil
}

// chartMetadata maps Chart.yaml keys to the field names Helm exposes on .Chart
// (it is a Go struct there: .Chart.Name, .Chart.AppVersion, ...).
func chartMetadata(meta map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range meta {
		switch k {
		case "apiVersion":
			out["APIVersion"] = v
		case "appVersion":
			out["AppVersion"] = v
		case "kubeVersion":
			out["KubeVersion"] = v
		default:
			out[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	// Fields Helm always has, so templates can test them without "<no value>".
	if _, ok := out["Type"]; !ok {
		out["Type"] = "application"
	}
	for _, k := range []string{"AppVersion", "Description", "Home", "Icon", "KubeVersion"} {
		if _, ok := out[k]; !ok {
			out[k] = ""
		}
	}
	return out
}

// parseValues reads YAML the way Helm does (sigs.k8s.io/yaml: YAML -> JSON ->
// Go), so numbers become float64 exactly as they do in Helm.
func parseValues(raw []byte, name string) (map[string]interface{}, error) {
	var v map[string]interface{}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if v == nil {
		v = map[string]interface{}{}
	}
	return v, nil
}

// mergedValues deep-merges the -f files over the chart's values.yaml, later
// files winning. Maps merge key by key; anything else replaces; an explicit
// null removes the key (Helm's way to unset a default).
func mergedValues(c *chart, valuesFiles []string) (map[string]interface{}, error) {
	out := deepCopy(c.values).(map[string]interface{})
	for _, f := range valuesFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		v, err := parseValues(raw, f)
		if err != nil {
			return nil, err
		}
		mergeInto(out, v)
	}
	return out, nil
}

func mergeInto(dst, src map[string]interface{}) {
	for k, sv := range src {
		if sv == nil {
			delete(dst, k)
			continue
		}
		sm, sIsMap := sv.(map[string]interface{})
		dm, dIsMap := dst[k].(map[string]interface{})
		if sIsMap && dIsMap {
			mergeInto(dm, sm)
			continue
		}
		dst[k] = deepCopy(sv)
	}
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	default:
		return v
	}
}

func printJSON(v interface{}) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// files is the part of Helm's .Files helm-render supports: Get and GetBytes of
// files inside the chart directory (no Glob, AsConfig, AsSecrets, Lines).
type files struct{ dir string }

func (f files) GetBytes(name string) []byte {
	clean := filepath.Clean("/" + name) // stay inside the chart
	b, err := os.ReadFile(filepath.Join(f.dir, clean))
	if err != nil {
		return []byte{}
	}
	return b
}

func (f files) Get(name string) string { return string(f.GetBytes(name)) }

// capabilities mirrors .Capabilities: KubeVersion and APIVersions.Has.
type capabilities struct {
	KubeVersion kubeVersion
	APIVersions versionSet
}

type kubeVersion struct {
	Version, Major, Minor, GitVersion string
}

func (k kubeVersion) String() string { return k.Version }

type versionSet []string

// Has reports whether a group/version (or group/version/Kind) is available.
func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// Built-in API versions of a current Kubernetes; CRD groups (for example
// monitoring.coreos.com/v1) are absent unless given with --api-versions, as
// with `helm template` offline.
var builtinAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
	"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
	"coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1",
	"scheduling.k8s.io/v1", "node.k8s.io/v1", "apiextensions.k8s.io/v1",
	"admissionregistration.k8s.io/v1", "certificates.k8s.io/v1",
}

var kubeVersionRe = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)(\.[0-9]+)?$`)

func newCapabilities(version string, extra []string) (capabilities, error) {
	m := kubeVersionRe.FindStringSubmatch(version)
	if m == nil {
		return capabilities{}, fmt.Errorf("invalid --kube-version %q", version)
	}
	v := "v" + strings.TrimPrefix(version, "v")
	if m[3] == "" {
		v += ".0"
	}
	set := append(append(versionSet{}, builtinAPIVersions...), extra...)
	sort.Strings(set)
	return capabilities{
		KubeVersion: kubeVersion{Version: v, Major: m[1], Minor: m[2], GitVersion: v},
		APIVersions: set,
	}, nil
}

// checkKubeVersion applies Chart.yaml's kubeVersion constraint to the target
// Kubernetes version, as helm install/template do.
func checkKubeVersion(c *chart, version string) error {
	want, _ := c.metadata["KubeVersion"].(string)
	if want == "" {
		return nil
	}
	constraint, err := semver.NewConstraint(want)
	if err != nil {
		return fmt.Errorf("Chart.yaml: invalid kubeVersion %q: %v", want, err)
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return err
	}
	if !constraint.Check(v) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", want, version)
	}
	return nil
}
