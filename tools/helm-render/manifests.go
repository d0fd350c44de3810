package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Helm's document separator (releaseutil.SplitManifests).
var docSep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// Helm's install order (releaseutil.InstallOrder); unknown kinds go last,
// alphabetically.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
	"Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
}

type manifest struct {
	source  string
	content string
	kind    string
	hook    string
}

// simpleHead is the part of a document Helm parses before sorting; a document
// that does not parse is an error there too ("YAML parse error on ...").
type simpleHead struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// manifestStream splits the rendered files into documents, drops blank ones
// (comment-only documents are kept, as Helm keeps them),
// sorts them like `helm template` (kinds in install order, hooks after) and
// writes them with "# Source:" headers.
func manifestStream(rendered map[string]string, skipTests bool) (string, error) {
	paths := make([]string, 0, len(rendered))
	for p := range rendered {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var resources, hooks []manifest
	for _, p := range paths {
		for _, doc := range docSep.Split(rendered[p], -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var head simpleHead
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return "", fmt.Errorf("YAML parse error on %s: %v", p, err)
			}
			m := manifest{source: p, content: doc, kind: head.Kind, hook: head.Metadata.Annotations["helm.sh/hook"]}
			if m.hook == "" {
				resources = append(resources, m)
				continue
			}
			if skipTests && isTestHook(m.hook) {
				continue
			}
			hooks = append(hooks, m)
		}
	}
	sortByKind(resources)
	sortByKind(hooks)

	var b strings.Builder
	for _, m := range append(resources, hooks...) {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	return b.String(), nil
}

func isTestHook(hook string) bool {
	for _, h := range strings.Split(hook, ",") {
		if h = strings.TrimSpace(h); h == "test" || h == "test-success" {
			return true
		}
	}
	return false
}

func sortByKind(ms []manifest) {
	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.SliceStable(ms, func(i, j int) bool {
		ri, iKnown := rank[ms[i].kind]
		rj, jKnown := rank[ms[j].kind]
		switch {
		case iKnown && jKnown:
			return ri < rj
		case iKnown != jKnown:
			return iKnown
		default:
			return ms[i].kind < ms[j].kind
		}
	})
}
