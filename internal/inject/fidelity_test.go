package inject_test

import (
	"os"
	"strings"
	"testing"

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

var _ = os.ReadFile
