package krm_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestSummaryCounts: the summary result counts each outcome on its own: 1 injected, 2 updated
// (ours, written under another configuration), 3 unchanged, 4 skipped (opted out).
func TestSummaryCounts(t *testing.T) {
	cron := func(name, annotations string) string {
		return fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: %s\n  namespace: data\n%sspec:\n  schedules: [\"0 3 * * *\"]\n  workflowSpec:\n    entrypoint: main\n    templates: [{name: main, container: {image: alpine}}]\n", name, annotations)
	}
	other, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec: {labels: {name: job}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	injected := func(cfg *config.Config, doc string) string {
		r, err := (&inject.Injector{Config: cfg}).Stream([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Bytes())
	}
	docs := []string{cron("new", "")}
	for i := 0; i < 2; i++ {
		docs = append(docs, injected(other, cron(fmt.Sprintf("stale-%d", i), "")))
	}
	for i := 0; i < 3; i++ {
		docs = append(docs, injected(config.Default(), cron(fmt.Sprintf("done-%d", i), "")))
	}
	for i := 0; i < 4; i++ {
		docs = append(docs, cron(fmt.Sprintf("out-%d", i), "  annotations: {"+config.AnnotationInject+": \"false\"}\n"))
	}
	t.Run("text path", func(t *testing.T) { summaryOfBytes(t, docs) })
	rl := &framework.ResourceList{}
	for _, d := range docs {
		n, err := kyaml.Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		rl.Items = append(rl.Items, n)
	}
	if err := krm.Processor().Process(rl); err != nil {
		t.Fatal(err)
	}
	perItem := map[string]int{}
	for _, r := range rl.Results[:len(rl.Results)-1] {
		perItem[r.ResourceRef.Name]++
	}
	if len(perItem) != 7 || perItem["new"] != 1 || perItem["done-0"] != 0 {
		t.Errorf("one result per changed or skipped item, none for unchanged ones: %v", perItem)
	}
	want := "argo-metrics-gen: 1 injected, 2 updated, 3 unchanged, 4 skipped"
	if got := rl.Results[len(rl.Results)-1].Message; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

// summaryOfBytes: the text path (Bytes, the ResourceList as Kustomize writes it) reports the same
// counts.
func summaryOfBytes(t *testing.T, docs []string) {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for _, d := range docs {
		for i, line := range strings.SplitAfter(strings.TrimSuffix(d, "\n"), "\n") {
			if i == 0 {
				b.WriteString("- " + line)
			} else {
				b.WriteString("  " + line)
			}
		}
		b.WriteString("\n")
	}
	pieces, ok := krm.Bytes([]byte(b.String()))
	if !ok {
		t.Fatalf("Bytes refused a ResourceList in Kustomize's layout:\n%s", b.String())
	}
	out := bytes.Join(pieces, nil)
	want := "argo-metrics-gen: 1 injected, 2 updated, 3 unchanged, 4 skipped"
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("want %q in\n%s", want, out)
	}
}
