package inject_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argocorpus"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestKindlessArgoObjectWarns: an Argo object that lost its kind is not injected, and the
// report says so with its line, marked to be shown without -v.
func TestKindlessArgoObjectWarns(t *testing.T) {
	const cw = "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: kept\nspec:\n  schedule: \"0 0 * * *\"\n  workflowSpec:\n    entrypoint: main\n    templates:\n      - name: main\n        container: {image: alpine:3.20, command: [\"true\"]}\n"
	lost := strings.Replace(strings.Replace(cw, "kind: CronWorkflow\n", "", 1), "name: kept", "name: lost", 1)
	noAPI := strings.Replace(lost, "apiVersion: argoproj.io/v1alpha1\n", "", 1)
	for name, input := range map[string]string{"kind lost": lost, "kind and apiVersion lost": noAPI} {
		t.Run(name, func(t *testing.T) {
			res, err := (&inject.Injector{Config: config.Default()}).Stream([]byte("# a comment\n" + input + "---\n" + cw))
			if err != nil {
				t.Fatal(err)
			}
			var warned, injected bool
			for _, r := range res.Reports {
				if r.Warn && r.Name == "lost" && r.Line == 2 && strings.Contains(r.Reason, "without kind") {
					warned = true
				}
				injected = injected || (r.Name == "kept" && r.Action == inject.Injected)
			}
			if !warned || !injected {
				t.Fatalf("reports %+v", res.Reports)
			}
			if strings.Contains(strings.Split(string(res.Bytes()), "---\n")[0], "metrics:") {
				t.Error("the kindless object was changed")
			}
		})
	}
	// A ConfigMap is not an Argo object: no warning.
	res, err := (&inject.Injector{Config: config.Default()}).Stream([]byte("apiVersion: v1\nmetadata: {name: x}\ndata: {a: b}\n"))
	if err != nil || len(res.Reports) != 0 {
		t.Fatalf("%v %+v", err, res.Reports)
	}
}

// TestCorporaSplice: on the examples and Argo's own example corpus no document fails for a
// reason of ours (a layout the splicer cannot place the metrics in, or a changed document that
// does not read back): valid input never fails; refusals of bad input are the golden and hostile
// suites' business.
func TestCorporaSplice(t *testing.T) {
	examples, err := argocorpus.Examples()
	if err != nil {
		t.Fatal(err)
	}
	corpora := map[string][]string{}
	corpora["argo examples"] = examples
	corpora["argo examples, every kind"] = corpora["argo examples"]
	every, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec: {kinds: [CronWorkflow, Workflow, WorkflowTemplate, ClusterWorkflowTemplate]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir("../../examples", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
			corpora["examples"] = append(corpora["examples"], p)
		}
		return nil
	})
	for name, files := range corpora {
		if len(files) < 10 {
			t.Fatalf("%s: only %d files", name, len(files))
		}
		changed := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in := &inject.Injector{Config: config.Default()}
			if name == "argo examples, every kind" {
				in.Config = every
			}
			res, err := in.Stream(data)
			if err != nil {
				if strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "cannot place") {
					t.Errorf("%s: %v", f, err)
				}
				continue
			}
			if res.Changed {
				changed++
			}
		}
		t.Logf("%s: %d files, %d changed", name, len(files), changed)
	}
}
