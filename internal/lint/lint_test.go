package lint_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argocorpus"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argolint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/lint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// wf is a Workflow whose entry template and metrics the cases fill in.
func wf(entry, metrics string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: job-
spec:
  entrypoint: main
  arguments: {parameters: [{name: rows, value: "10"}]}
  metrics:
    prometheus:
` + metrics + `  templates:
` + entry + `  - name: leaf
    inputs: {parameters: [{name: n}]}
    container: {image: alpine, command: ["true"]}
`
}

const (
	steps     = "  - name: main\n    steps: [[{name: a, template: leaf, arguments: {parameters: [{name: n, value: \"1\"}]}}]]\n"
	container = "  - name: main\n    container: {image: alpine, command: [\"true\"]}\n"
	ok        = "    - {name: fine, help: h, labels: [{key: k, value: v}], gauge: {value: \"1\"}}\n"
)

func findings(t *testing.T, docs string) []lint.Finding {
	t.Helper()
	rs, err := manifest.Read("in.yaml", []byte(docs))
	if err != nil {
		t.Fatal(err)
	}
	return lint.Run(context.Background(), config.Default(), rs)
}

// TestDefects: each defect class has a failing case (the rule fires on the offending line) and
// a passing twin (no finding at all). argoAccepts marks defects `argo lint --offline` misses.
func TestDefects(t *testing.T) {
	for name, tc := range map[string]struct {
		bad, good   string
		rule        string
		line        int
		argoAccepts bool
	}{
		"metric name":        {wf(container, "    - {name: exit-code, help: h, gauge: {value: \"1\"}}\n"), wf(container, ok), "metric-name", 10, true},
		"label key":          {wf(container, "    - {name: m, help: h, labels: [{key: job-name, value: v}], gauge: {value: \"1\"}}\n"), wf(container, ok), "label-key", 10, true},
		"help":               {wf(container, "    - {name: m, gauge: {value: \"1\"}}\n"), wf(container, ok), "help", 10, true},
		"exitCode on steps":  {wf(steps, "    - {name: m, help: h, gauge: {value: \"{{exitCode}}\"}}\n"), wf(container, "    - {name: m, help: h, gauge: {value: \"{{exitCode}}\"}}\n"), "unavailable-variable", 10, true},
		"unknown variable":   {wf(container, "    - {name: m, help: h, labels: [{key: k, value: \"{{workflow.nmae}}\"}], gauge: {value: \"1\"}}\n"), wf(container, "    - {name: m, help: h, labels: [{key: k, value: \"{{workflow.namespace}}\"}], gauge: {value: \"1\"}}\n"), "unavailable-variable", 10, true},
		"undeclared param":   {wf(container, "    - {name: m, help: h, gauge: {value: \"{{workflow.parameters.row}}\"}}\n"), wf(container, "    - {name: m, help: h, gauge: {value: \"{{workflow.priority}}\"}}\n  priority: 3\n"), "unavailable-variable", 10, true},
		"scheduledTime":      {wf(container, "    - {name: m, help: h, labels: [{key: k, value: \"{{workflow.scheduledTime}}\"}], gauge: {value: \"1\"}}\n"), wf(container, ok), "unavailable-variable", 10, true},
		"per-run label":      {wf(container, "    - {name: m, help: h, labels: [{key: run, value: \"{{workflow.name}}\"}], gauge: {value: \"1\"}}\n"), wf(container, ok), "per-run-label", 10, true},
		"non-numeric value":  {wf(container, "    - {name: m, help: h, gauge: {value: \"{{workflow.status}}\"}}\n"), wf(container, "    - {name: m, help: h, gauge: {value: \"{{workflow.duration}}\"}}\n"), "non-numeric-value", 10, true},
		"literal not number": {wf(container, "    - {name: m, help: h, gauge: {value: \"one\"}}\n"), wf(container, "    - {name: m, help: h, gauge: {value: \"1.5e3\"}}\n"), "metric-value", 10, true},
		"when":               {wf(container, "    - {name: m, help: h, when: \"{{status}} ==\", gauge: {value: \"1\"}}\n"), wf(container, "    - {name: m, help: h, when: \"{{status}} != Succeeded\", gauge: {value: \"1\"}}\n"), "when", 10, true},
		"realtime":           {wf(container, "    - {name: m, help: h, gauge: {realtime: true, value: \"{{workflow.status}}\"}}\n"), wf(container, "    - {name: m, help: h, gauge: {realtime: true, value: \"{{workflow.duration}}\"}}\n"), "realtime", 10, true},
		"two types":          {wf(container, "    - {name: m, help: h, gauge: {value: \"1\"}, counter: {value: \"1\"}}\n"), wf(container, "    - {name: m, help: h, counter: {value: \"1\"}}\n"), "metric-type", 10, true},
		"exit handler": {
			strings.Replace(wf(container, "    - {name: m, help: h, when: \"{{status}} == Succeeded\", gauge: {value: \"0\"}}\n"), "  entrypoint: main\n", "  entrypoint: main\n  onExit: main\n", 1),
			wf(container, "    - {name: m, help: h, when: \"{{status}} == Succeeded\", gauge: {value: \"0\"}}\n"), "exit-handler", 11, true},
		"redefinition": {
			wf(container, ok) + "---\n" + wf(container, "    - {name: fine, help: other, labels: [{key: k, value: v}], gauge: {value: \"1\"}}\n"),
			wf(container, ok) + "---\n" + wf(container, ok), "redefinition", 27, true},
		"argo validation": {strings.Replace(wf(container, ok), "entrypoint: main", "entrypoint: mian", 1), wf(container, ok), "argo-validation", 1, false},
		"strict decoding": {strings.Replace(wf(container, ok), "  - name: main\n", "  - name: main\n    retryStargegy: {limit: 1}\n", 1), wf(container, ok), "argo-parse", 1, false},
		"template exitCode": {
			strings.Replace(wf(steps, ok), "    steps: [[", "    metrics: {prometheus: [{name: t, help: h, gauge: {value: \"{{exitCode}}\"}}]}\n    steps: [[", 1),
			strings.Replace(wf(steps, ok), "    container: {image: alpine", "    metrics: {prometheus: [{name: t, help: h, gauge: {value: \"{{exitCode}}\"}}]}\n    container: {image: alpine", 1),
			"unavailable-variable", 13, false},
	} {
		t.Run(name, func(t *testing.T) {
			got := findings(t, tc.bad)
			found := false
			for _, f := range got {
				if f.Rule == tc.rule && f.Line == tc.line {
					found = true
				}
			}
			if !found {
				t.Errorf("rule %s did not fire on line %d: %v", tc.rule, tc.line, got)
			}
			if good := findings(t, tc.good); len(good) > 0 {
				t.Errorf("the passing twin has findings: %v", good)
			}
			if tc.argoAccepts {
				if v := argolint.Validate(context.Background(), []byte(tc.bad)); len(v.Findings) > 0 {
					t.Errorf("Argo's validator rejects this case, so it is not one Argo misses: %v", v.Findings)
				}
			}
		})
	}
}

// TestCoverage: a CronWorkflow without our metrics fails; after inject it passes; with a
// different configuration it fails again.
func TestCoverage(t *testing.T) {
	cron := `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly, namespace: data}
spec:
  schedules: ["0 3 * * *"]
  startingDeadlineSeconds: 300
  workflowSpec:
    entrypoint: main
    templates: [{name: main, container: {image: alpine, command: ["true"]}}]
`
	if f := findings(t, cron); len(f) != 1 || f[0].Rule != "coverage" {
		t.Fatalf("before inject: %v", f)
	}
	r, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(cron))
	if err != nil {
		t.Fatal(err)
	}
	if f := findings(t, string(r.Bytes())); len(f) != 0 {
		t.Fatalf("after inject: %v", f)
	}
	// An exit handler that is a steps template defeats the exit_code test of workflow.failures.
	stepsHandler := strings.Replace(cron, "    entrypoint: main\n", "    entrypoint: main\n    onExit: notify\n", 1) +
		"    - {name: notify, steps: [[{name: send, template: main}]]}\n"
	stepsHandler = strings.Replace(stepsHandler, "    templates: [{name: main, container: {image: alpine, command: [\"true\"]}}]\n", "    templates:\n    - {name: main, container: {image: alpine, command: [\"true\"]}}\n", 1)
	r2, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(stepsHandler))
	if err != nil {
		t.Fatal(err)
	}
	if f := findings(t, string(r2.Bytes())); len(f) != 1 || f[0].Rule != "exit-handler" || f[0].Line != 9 {
		t.Fatalf("steps exit handler: %v", f)
	}
	containerHandler := strings.Replace(string(r2.Bytes()), "{name: notify, steps: [[{name: send, template: main}]]}", "{name: notify, container: {image: alpine, command: [\"true\"]}}", 1)
	if f := findings(t, containerHandler); len(f) != 0 {
		t.Fatalf("container exit handler: %v", f)
	}
	other, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec: {labels: {name: job}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := manifest.Read("in.yaml", r.Bytes())
	if f := lint.Run(context.Background(), other, rs); len(f) != 1 || f[0].Rule != "coverage" || !strings.Contains(f[0].Message, "differ") {
		t.Fatalf("other config: %v", f)
	}
}

// TestArgoExamples: every example workflow of the Argo repository lints without errors once
// injected, linted together so templateRefs resolve as `argo lint` resolves them across files.
func TestArgoExamples(t *testing.T) {
	files, err := argocorpus.Examples()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Fatalf("found %d examples", len(files))
	}
	in := &inject.Injector{Config: config.Default()}
	var all []*manifest.Resource
	crons := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := in.Stream(data)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		rs, err := manifest.Read(filepath.Base(f), res.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Kind == "CronWorkflow" {
				crons++
			}
		}
		all = append(all, rs...)
	}
	for _, f := range lint.Run(context.Background(), config.Default(), all) {
		if f.Severity == lint.Error {
			t.Errorf("%s", f)
		}
	}
	if crons == 0 {
		t.Error("no CronWorkflow among the examples")
	}
	t.Logf("%d files, %d resources, %d CronWorkflows injected and linted", len(files), len(all), crons)
}

// TestScheduleWarnings: what makes a monitored job's schedule alerts lie, each with its line and
// a passing twin (both injected, so coverage holds). A CronWorkflow not selected for injection
// gets none of them.
func TestScheduleWarnings(t *testing.T) {
	cron := func(annotations, spec string) string {
		return `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
  namespace: data
` + annotations + `spec:
` + spec + `  workflowSpec:
    entrypoint: main
    templates: [{name: main, container: {image: alpine, command: ["true"]}}]
`
	}
	const deadline = "  startingDeadlineSeconds: 300\n"
	injected := func(doc string) string {
		r, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Bytes())
	}
	for name, tc := range map[string]struct {
		bad, good string
		rule      string
		line      int
	}{
		"no startingDeadlineSeconds": {cron("", "  schedules: [\"0 3 * * *\"]\n"), cron("", "  schedules: [\"0 3 * * *\"]\n"+deadline), "starting-deadline", 9},
		"startingDeadlineSeconds 0":  {cron("", "  schedules: [\"0 3 * * *\"]\n  startingDeadlineSeconds: 0\n"), cron("", "  schedules: [\"0 3 * * *\"]\n"+deadline), "starting-deadline", 9},
		"a schedule that never fires": {cron("", "  schedules:\n    - \"0 3 * * *\"\n    - \"0 0 30 2 *\"\n"+deadline),
			cron("", "  schedules:\n    - \"0 3 * * *\"\n    - \"0 0 29 2 *\"\n"+deadline), "schedule-never-fires", 11},
		"never fires in its own zone": {cron("", "  schedules: [\"0 3 * * *\", \"CRON_TZ=Europe/Paris 0 0 31 4 *\"]\n"+deadline),
			cron("", "  schedules: [\"0 3 * * *\", \"CRON_TZ=Europe/Paris 0 0 30 4 *\"]\n"+deadline), "schedule-never-fires", 9},
		"when without a threshold": {cron("", "  schedules: [\"0 3 * * *\"]\n"+deadline+"  when: \"{{= cronworkflow.failed == 0 }}\"\n"),
			cron("  annotations: {argo-metrics-gen.io/staleness-threshold-seconds: \"259200\"}\n", "  schedules: [\"0 3 * * *\"]\n"+deadline+"  when: \"{{= cronworkflow.failed == 0 }}\"\n"), "when-skips-runs", 11},
	} {
		t.Run(name, func(t *testing.T) {
			bad := findings(t, injected(tc.bad))
			if len(bad) != 1 || bad[0].Rule != tc.rule || bad[0].Line != tc.line || bad[0].Severity != lint.Warning {
				t.Errorf("want one %s warning on line %d: %v", tc.rule, tc.line, bad)
			}
			if good := findings(t, injected(tc.good)); len(good) != 0 {
				t.Errorf("the passing twin has findings: %v", good)
			}
			optOut := strings.Replace(tc.bad, "  namespace: data\n", "  namespace: data\n  annotations: {argo-metrics-gen.io/inject: \"false\"}\n", 1)
			if strings.Contains(tc.bad, "annotations:") {
				return
			}
			if f := findings(t, optOut); len(f) != 0 {
				t.Errorf("a CronWorkflow opted out of injection: %v", f)
			}
		})
	}
}
