package preview_test

import (
	"context"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

const steps = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly, namespace: data}
spec:
  schedule: "0 3 * * *"
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      steps: [[{name: a, template: run}]]
    - name: run
      container: {image: alpine, command: ["true"]}
`

func run(t *testing.T, yaml string, status wfv1.WorkflowPhase) []preview.Workflow {
	t.Helper()
	rs, err := manifest.Read("in.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := preview.Run(context.Background(), rs, preview.Options{Status: status, Duration: 208.508275, Created: preview.DefaultCreated})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func injected(t *testing.T, yaml string) string {
	t.Helper()
	r, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return string(r.Bytes())
}

// TestRecipe: what our injected metrics export for each outcome, derived by hand: the created
// time 2025-06-01T03:00:00Z is 1748746800 s; a daily schedule plus an hour is 90000 s.
func TestRecipe(t *testing.T) {
	in := injected(t, steps)
	labels := `{cronworkflow="nightly",namespace="data"}`
	for status, want := range map[wfv1.WorkflowPhase][]string{
		wfv1.WorkflowSucceeded: {
			"argo_workflows_duration" + labels + " 208.508275",
			"argo_workflows_exit_code" + labels + " 0",
			"argo_workflows_last_success_timestamp" + labels + " 1.7487468e+09",
			"argo_workflows_staleness_threshold_seconds" + labels + " 90000",
		},
		wfv1.WorkflowFailed: {
			"argo_workflows_duration" + labels + " 208.508275",
			"argo_workflows_exit_code" + labels + " 1",
			"argo_workflows_staleness_threshold_seconds" + labels + " 90000",
		},
		wfv1.WorkflowError: {
			"argo_workflows_duration" + labels + " 208.508275",
			"argo_workflows_exit_code" + labels + " 1",
			"argo_workflows_staleness_threshold_seconds" + labels + " 90000",
		},
	} {
		ws := run(t, in, status)
		if len(ws) != 1 || len(ws[0].Errors) > 0 {
			t.Fatalf("%s: %+v", status, ws)
		}
		if got := strings.Join(ws[0].Series, "\n"); got != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", status, got, strings.Join(want, "\n"))
		}
		if ws[0].RunName != "nightly-1748746800" {
			t.Errorf("run name %q", ws[0].RunName)
		}
	}
}

// TestExitHandlerFailure: the body succeeds, the onExit handler fails. The controller ends the
// run Failed and our exit_code must say 1; a {{status}}-only formulation would say 0.
func TestExitHandlerFailure(t *testing.T) {
	withHandler := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    onExit: run\n", 1)
	rs, err := manifest.Read("in.yaml", []byte(injected(t, withHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for failed, want := range map[bool]string{false: " 0", true: " 1"} {
		ws, err := preview.Run(context.Background(), rs, preview.Options{Status: wfv1.WorkflowSucceeded, Duration: 1, Created: preview.DefaultCreated, ExitHandlerFailed: failed})
		if err != nil || len(ws[0].Errors) > 0 {
			t.Fatalf("%v %+v", err, ws)
		}
		found := false
		for _, line := range ws[0].Series {
			if strings.HasPrefix(line, "argo_workflows_exit_code{") {
				found = strings.HasSuffix(line, want)
			}
		}
		if !found {
			t.Errorf("exit handler failed=%v: want exit_code%s in %q", failed, want, ws[0].Series)
		}
	}
}

func TestControllerErrors(t *testing.T) {
	metric := func(body string) string {
		return strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    metrics:\n      prometheus:\n"+body, 1)
	}
	for name, tc := range map[string]struct {
		yaml   string
		errs   []string
		series []string
	}{
		"exitCode on a steps workflow": {
			yaml: metric("      - {name: exit_code, help: h, gauge: {value: \"{{exitCode}}\"}}\n"),
			errs: []string{"unable to substitute parameters for metric 'exit_code': failed to resolve {{exitCode}}"},
		},
		"status as a gauge value reads 0": {
			yaml:   metric("      - {name: state, help: h, gauge: {value: \"{{workflow.status}}\"}}\n"),
			errs:   []string{"could not construct metric 'state': strconv.ParseFloat: parsing \"Failed\": invalid syntax"},
			series: []string{"argo_workflows_state 0"},
		},
		"no help": {
			yaml: metric("      - {name: x, gauge: {value: \"1\"}}\n"),
			errs: []string{"metric 'x' must contain a help string under 'help: ' field"},
		},
		"invalid name": {
			yaml: metric("      - {name: exit-code, help: h, gauge: {value: \"1\"}}\n"),
			errs: []string{"could not construct metric 'exit-code': metric name is invalid: names may only contain alphanumeric characters or '_'"},
		},
		"bad when": {
			yaml: metric("      - {name: x, help: h, when: \"{{status}} ==\", gauge: {value: \"1\"}}\n"),
			errs: []string{"unable to compute 'when' clause for metric 'x': "},
		},
		"per-run label": {
			yaml:   metric("      - {name: x, help: h, labels: [{key: run, value: \"{{workflow.name}}\"}], gauge: {value: \"1\"}}\n"),
			series: []string{`argo_workflows_x{run="nightly-1748746800"} 1`},
		},
		"realtime: whole seconds, as the stored run gives them": {
			yaml:   metric("      - {name: rt, help: h, gauge: {realtime: true, value: \"{{workflow.duration}}\"}}\n"),
			series: []string{"argo_workflows_rt 208"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			ws := run(t, tc.yaml, wfv1.WorkflowFailed)
			if len(ws) != 1 {
				t.Fatalf("%d workflows", len(ws))
			}
			if len(ws[0].Errors) != len(tc.errs) {
				t.Fatalf("errors %q, want %q", ws[0].Errors, tc.errs)
			}
			for i, e := range tc.errs {
				if !strings.HasPrefix(ws[0].Errors[i], e) {
					t.Errorf("error %q, want prefix %q", ws[0].Errors[i], e)
				}
			}
			if strings.Join(ws[0].Series, "\n") != strings.Join(tc.series, "\n") {
				t.Errorf("series %q, want %q", ws[0].Series, tc.series)
			}
		})
	}
}

// TestRedefinitionAcrossWorkflows: the controller refuses a second help for a metric name, even
// from another workflow.
func TestRedefinitionAcrossWorkflows(t *testing.T) {
	a := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    metrics: {prometheus: [{name: shared, help: one, gauge: {value: \"1\"}}]}\n", 1)
	b := strings.Replace(strings.Replace(a, "help: one", "help: two", 1), "name: nightly", "name: other", 1)
	ws := run(t, a+"---\n"+b, wfv1.WorkflowSucceeded)
	if len(ws) != 2 || len(ws[0].Errors) != 0 || len(ws[1].Errors) != 1 ||
		ws[1].Errors[0] != "could not construct metric 'shared': Help for metric shared is already set to one, it cannot be changed" {
		t.Fatalf("%+v", ws)
	}
}

// TestTemplateRef: a CronWorkflow running a WorkflowTemplate exports the template's metrics
// when it has none of its own, with the template's entrypoint.
func TestTemplateRef(t *testing.T) {
	in := `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: etl, namespace: data}
spec:
  entrypoint: main
  metrics: {prometheus: [{name: entry, help: h, labels: [{key: e, value: "{{workflow.mainEntrypoint}}"}], gauge: {value: "{{workflow.creationTimestamp.s}}"}}]}
  templates: [{name: main, container: {image: alpine, command: ["true"]}}]
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: etl-cron, namespace: data}
spec:
  schedule: "0 3 * * *"
  workflowSpec: {workflowTemplateRef: {name: etl}}
`
	ws := run(t, in, wfv1.WorkflowSucceeded)
	if got := ws[1].Series; len(got) != 1 || got[0] != `argo_workflows_entry{e="main"} 1.7487468e+09` {
		t.Fatalf("%+v", ws[1])
	}
	missing := strings.SplitN(in, "---\n", 2)[1]
	if ws := run(t, missing, wfv1.WorkflowSucceeded); len(ws[0].Errors) != 1 || !strings.Contains(ws[0].Errors[0], "not in the input") {
		t.Fatalf("missing template: %+v", ws[0])
	}
}

func TestShouldExecute(t *testing.T) {
	for when, want := range map[string]bool{"": true, "Succeeded == Succeeded": true, "Failed != Succeeded": true, "Error == Succeeded": false, "1 < 2": true} {
		if got, err := preview.ShouldExecute(when); err != nil || got != want {
			t.Errorf("%q: %v %v", when, got, err)
		}
	}
	if _, err := preview.ShouldExecute("Succeeded =="); err == nil {
		t.Error("a broken expression must be an error")
	}
}

// TestRunStateOptions: with every run-state option on (examples/run-state/config.yaml), a
// failure adds 1 to the count the earlier runs left (Before), a success sets it to 0, and the
// realtime gauge says the run's duration in whole seconds. Values by hand: a daily schedule's shortest gap is
// 86400 s; factor and threshold are the example's 3.
func TestRunStateOptions(t *testing.T) {
	cfg, err := config.LoadFile("../../examples/run-state/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := (&inject.Injector{Config: cfg}).Stream([]byte(steps))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := manifest.Read("in.yaml", r.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	labels := `{cronworkflow="nightly",namespace="data"}`
	for name, tc := range map[string]struct {
		status wfv1.WorkflowPhase
		before map[string]float64
		want   string
	}{
		"first failure":      {wfv1.WorkflowFailed, nil, "1"},
		"third failure":      {wfv1.WorkflowFailed, map[string]float64{"consecutive_failures": 2}, "3"},
		"error counts":       {wfv1.WorkflowError, map[string]float64{"consecutive_failures": 1}, "2"},
		"success resets":     {wfv1.WorkflowSucceeded, map[string]float64{"consecutive_failures": 4}, "0"},
		"other name ignored": {wfv1.WorkflowFailed, map[string]float64{"duration": 7}, "1"},
	} {
		ws, err := preview.Run(context.Background(), rs, preview.Options{Status: tc.status, Duration: 208.508275, Created: preview.DefaultCreated, Before: tc.before})
		if err != nil || len(ws) != 1 || len(ws[0].Errors) > 0 {
			t.Fatalf("%s: %v %+v", name, err, ws)
		}
		got := strings.Join(ws[0].Series, "\n")
		for _, line := range []string{
			"argo_workflows_consecutive_failures" + labels + " " + tc.want,
			"argo_workflows_consecutive_failures_threshold" + labels + " 3",
			"argo_workflows_current_run_seconds" + labels + " 208",
			"argo_workflows_run_time_factor" + labels + " 3",
			"argo_workflows_run_time_limit_seconds" + labels + " 86400",
		} {
			if !strings.Contains(got, line+"\n") && !strings.HasSuffix(got, line) {
				t.Errorf("%s: no line %q in\n%s", name, line, got)
			}
		}
	}
}
