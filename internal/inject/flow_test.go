package inject_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

const userMetric = `{"name": "rows_loaded", "help": "Rows loaded", "gauge": {"value": "{{workflow.parameters.rows}}", "realtime": false}}`

// flowJobs are CronWorkflows whose metrics list is a flow collection holding a metric of the
// user's own: in YAML with the list one entry per line or on one line, and a JSON document.
var flowJobs = map[string]string{
	"yaml, one entry per line": `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: flow-job
  namespace: batch
spec:
  schedule: "0 0 * * *"
  workflowSpec:
    entrypoint: main
    metrics:
      prometheus: [
        ` + userMetric + `
      ]
    templates: [{name: main, container: {image: "alpine:3.20", command: ["true"]}}]
`,
	"yaml, one line": `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: flow-job
  namespace: batch
spec:
  schedule: "0 0 * * *"
  workflowSpec:
    entrypoint: main
    metrics: {prometheus: [` + userMetric + `]}
    templates: [{name: main, container: {image: "alpine:3.20", command: ["true"]}}]
`,
	"json": `{
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "CronWorkflow",
    "metadata": {"name": "flow-job", "namespace": "batch"},
    "spec": {
        "schedule": "0 0 * * *",
        "workflowSpec": {
            "entrypoint": "main",
            "metrics": {"prometheus": [` + userMetric + `]},
            "templates": [{"name": "main", "container": {"image": "alpine:3.20", "command": ["true"]}}]
        }
    }
}
`,
}

// TestConfigChangeInFlowList: a document injected under one configuration and run again under
// another ends up with exactly the metrics a first injection under the new configuration gives
// (the old ones removed, not kept beside them) beside the user's metric; a third run changes
// nothing. In YAML only the flow list is rewritten (no re-encoding); JSON stays JSON.
func TestConfigChangeInFlowList(t *testing.T) {
	changed, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: renamed\nspec:\n  labels:\n    name: job\n  metrics:\n    lastSuccess:\n      enabled: false\n    duration:\n      name: run_seconds\n"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, cfg *config.Config, src string) string {
		t.Helper()
		res, err := (&inject.Injector{Config: cfg}).Stream([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return string(res.Bytes())
	}
	decode := func(t *testing.T, text string) any {
		t.Helper()
		var v any
		if err := yaml.Unmarshal([]byte(text), &v); err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		return v
	}
	for name, src := range flowJobs {
		t.Run(name, func(t *testing.T) {
			first := run(t, config.Default(), src)
			again := run(t, changed, first)
			fresh := run(t, changed, src)
			if got, want := decode(t, again), decode(t, fresh); !reflect.DeepEqual(got, want) {
				t.Errorf("after the configuration change:\n%s\nwant what a first injection under it gives:\n%s", again, fresh)
			}
			for _, old := range []string{`"duration"`, `"last_success_timestamp"`, `"cronworkflow"`} {
				if strings.Contains(again, old) {
					t.Errorf("%s of the old configuration is left:\n%s", old, again)
				}
			}
			if third := run(t, changed, again); third != again {
				t.Errorf("a third run changed the output:\n%s", third)
			}
			if name == "json" {
				if !json.Valid([]byte(again)) {
					t.Errorf("not JSON any more:\n%s", again)
				}
				if !strings.HasPrefix(again, "{\n    \"apiVersion\"") {
					t.Errorf("the document's own layout is lost:\n%s", again)
				}
				return
			}
			if i, j := strings.Index(first, "\n    templates:"), strings.Index(again, "\n    templates:"); first[:strings.Index(first, "metrics:")] != again[:strings.Index(again, "metrics:")] || first[i:] != again[j:] {
				t.Errorf("lines around the metrics changed:\n%s\nwas:\n%s", again, first)
			}
		})
	}
}

// TestConfigChangeKeepsUserFlowEntries: when a configuration change rewrites a flow metrics
// list, the user's own entries keep their text (YAML flow style stays YAML flow style), and a
// comment inside the list stays where it was.
func TestConfigChangeKeepsUserFlowEntries(t *testing.T) {
	changed, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: renamed\nspec:\n  metrics:\n    lastSuccess:\n      enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	const entry = `{name: rows, help: 'Rows loaded', gauge: {value: "1"}}`
	doc := func(comment string) string {
		return "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: flow-job\n  namespace: batch\nspec:\n" +
			"  schedule: \"0 0 * * *\"\n  workflowSpec:\n    entrypoint: main\n    metrics:\n      prometheus: [\n" + comment +
			"        " + entry + "\n      ]\n    templates: [{name: main, container: {image: alpine}}]\n"
	}
	for name, tc := range map[string]struct {
		comment string
	}{
		"no comment":          {""},
		"comment in the list": {"        # rows the job loaded\n"},
	} {
		t.Run(name, func(t *testing.T) {
			first, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(doc(tc.comment)))
			if err != nil {
				t.Fatal(err)
			}
			again, err := (&inject.Injector{Config: changed}).Stream(first.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			out := string(again.Bytes())
			if !strings.Contains(out, "\n        "+entry+",\n") && !strings.Contains(out, "\n        "+entry+", ") {
				t.Errorf("the user's entry lost its text:\n%s", out)
			}
			if tc.comment != "" && !strings.Contains(out, tc.comment) {
				t.Errorf("the comment in the list is gone:\n%s", out)
			}
			if strings.Contains(out, "last_success_timestamp") {
				t.Errorf("the old configuration's metric is left:\n%s", out)
			}
			third, err := (&inject.Injector{Config: changed}).Stream(again.Bytes())
			if err != nil || string(third.Bytes()) != out {
				t.Errorf("a third run changed the output (%v):\n%s", err, third.Bytes())
			}
		})
	}
}
