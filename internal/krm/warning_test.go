package krm_test

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

// An Argo object that lost its kind is a likely mistake: both KRM paths report it as a warning,
// so `kustomize build` shows it the same way whichever path answered.
func TestKindlessArgoObjectIsAWarningOnBothPaths(t *testing.T) {
	const item = "apiVersion: argoproj.io/v1alpha1\nmetadata:\n  name: lost\nspec:\n  schedules: [\"0 3 * * *\"]\n"
	var list strings.Builder
	list.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i, line := range strings.SplitAfter(strings.TrimSuffix(item, "\n"), "\n") {
		if i == 0 {
			list.WriteString("- " + line)
		} else {
			list.WriteString("  " + line)
		}
	}
	list.WriteString("\n")

	pieces, ok := krm.Bytes([]byte(list.String()))
	if !ok {
		t.Fatalf("Bytes refused a ResourceList in Kustomize's layout:\n%s", list.String())
	}
	out, err := kyaml.Parse(string(bytes.Join(pieces, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var fromBytes framework.ResourceList
	results, err := out.Pipe(kyaml.Lookup("results"))
	if err != nil || results == nil {
		t.Fatalf("no results in the byte path's output: %v", err)
	}
	if err := results.YNode().Decode(&fromBytes.Results); err != nil {
		t.Fatal(err)
	}

	n, err := kyaml.Parse(item)
	if err != nil {
		t.Fatal(err)
	}
	fromFramework := &framework.ResourceList{Items: []*kyaml.RNode{n}}
	if err := krm.Processor().Process(fromFramework); err != nil {
		t.Fatal(err)
	}

	for name, res := range map[string]framework.Results{"byte path": fromBytes.Results, "framework path": fromFramework.Results} {
		var warned bool
		for _, r := range res {
			if strings.Contains(r.Message, "without kind") {
				warned = r.Severity == framework.Warning
			}
		}
		if !warned {
			t.Errorf("%s: want a warning for the object without kind, got %v", name, res)
		}
	}
}
