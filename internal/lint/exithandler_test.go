package lint_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/lint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestMoreDefects: defects whose rule the first suite never made fire, each with a passing twin.
func TestMoreDefects(t *testing.T) {
	hook := func(doc string) string {
		return strings.Replace(doc, "  entrypoint: main\n", "  entrypoint: main\n  hooks: {exit: {template: main}}\n", 1)
	}
	statusWhen := "    - {name: m, help: h, when: \"{{status}} == Succeeded\", gauge: {value: \"0\"}}\n"
	for name, tc := range map[string]struct {
		bad, good string
		rule      string
		line      int
	}{
		// A new run, a new uid: one series per run.
		"uid as a label": {wf(container, "    - {name: m, help: h, labels: [{key: run, value: \"{{workflow.uid}}\"}], gauge: {value: \"1\"}}\n"), wf(container, ok), "per-run-label", 10},
		// Every variable of a value counts, not only the first.
		"per-run second variable": {wf(container, "    - {name: m, help: h, labels: [{key: run, value: \"{{workflow.namespace}}-{{workflow.name}}\"}], gauge: {value: \"1\"}}\n"), wf(container, ok), "per-run-label", 10},
		// Same name and help, other label keys: the controller refuses the second as it refuses another help.
		"redefinition with other label keys": {
			wf(container, ok) + "---\n" + wf(container, "    - {name: fine, help: h, labels: [{key: team, value: v}], gauge: {value: \"1\"}}\n"),
			wf(container, ok) + "---\n" + wf(container, ok), "redefinition", 27},
		// An exit handler declared as hooks.exit is an exit handler too.
		"exit handler as hooks.exit": {hook(wf(container, statusWhen)), wf(container, statusWhen), "exit-handler", 11},
		// Fine when the run succeeds; when it fails, asInt("x") is evaluated and the controller
		// cannot compute `when`, so the failure is never recorded.
		"when that breaks only on failure": {
			wf(container, "    - {name: m, help: h, when: \"{{=status == 'Succeeded' || asInt('x') > 0}}\", gauge: {value: \"1\"}}\n"),
			wf(container, "    - {name: m, help: h, when: \"{{=status == 'Succeeded' || asInt('2') > 0}}\", gauge: {value: \"1\"}}\n"),
			"when", 10},
	} {
		t.Run(name, func(t *testing.T) {
			got := findings(t, tc.bad)
			found := false
			for _, f := range got {
				found = found || f.Rule == tc.rule && f.Line == tc.line
			}
			if !found {
				t.Errorf("rule %s did not fire on line %d: %v", tc.rule, tc.line, got)
			}
			if good := findings(t, tc.good); len(good) > 0 {
				t.Errorf("the passing twin has findings: %v", good)
			}
		})
	}
}

// TestWhenBreaksOnlyOnFailure: the case above is a real defect, not a lint opinion: the
// controller's evaluation (preview) computes the metric for a success and errors for a failure.
func TestWhenBreaksOnlyOnFailure(t *testing.T) {
	doc := wf(container, "    - {name: m, help: h, when: \"{{=status == 'Succeeded' || asInt('x') > 0}}\", gauge: {value: \"1\"}}\n")
	rs, err := manifest.Read("in.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for status, wantErr := range map[wfv1.WorkflowPhase]bool{wfv1.WorkflowSucceeded: false, wfv1.WorkflowFailed: true} {
		ws, err := preview.Run(context.Background(), rs, preview.Options{Status: status, Duration: 1, Created: preview.DefaultCreated})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ws[0].Errors) > 0; got != wantErr {
			t.Errorf("%s: controller errors %q, want an error: %v", status, ws[0].Errors, wantErr)
		}
	}
}

// TestExitHandlerLimits: the recipe sees a failed exit handler only when it is listed as
// "<workflow>.onExit"; lint warns, on the handler's line, for each kind of handler listed under
// other names, however the handler is declared.
func TestExitHandlerLimits(t *testing.T) {
	cron := func(exit, handler string) string {
		return `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly, namespace: data}
spec:
  schedules: ["0 3 * * *"]
  startingDeadlineSeconds: 300
  workflowSpec:
    entrypoint: main
` + exit + `    templates:
    - {name: main, container: {image: alpine, command: ["true"]}}
` + handler
	}
	onExit := "    onExit: notify\n"
	hooks := "    hooks: {exit: {template: notify}}\n"
	retried := "    - {name: notify, retryStrategy: {limit: 2}, container: {image: alpine, command: [\"true\"]}}\n"
	steps := "    - {name: notify, steps: [[{name: send, template: main}]]}\n"
	plain := "    - {name: notify, container: {image: alpine, command: [\"true\"]}}\n"
	for name, tc := range map[string]struct {
		exit, handler string
		why           string // in the message; "" for no finding
	}{
		"retried container":        {onExit, retried, "has a retryStrategy"},
		"steps":                    {onExit, steps, "is a steps template"},
		"steps as hooks.exit":      {hooks, steps, "is a steps template"},
		"retried as hooks.exit":    {hooks, retried, "has a retryStrategy"},
		"container":                {onExit, plain, ""},
		"container as hooks.exit":  {hooks, plain, ""},
		"no exit handler declared": {"", retried, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(cron(tc.exit, tc.handler)))
			if err != nil {
				t.Fatal(err)
			}
			f := findings(t, string(r.Bytes()))
			if tc.why == "" {
				if len(f) != 0 {
					t.Fatalf("want no finding: %v", f)
				}
				return
			}
			if len(f) != 1 || f[0].Rule != "exit-handler" || f[0].Line != 9 || !strings.Contains(f[0].Message, tc.why) {
				t.Fatalf("want one exit-handler warning on line 9 saying %q: %v", tc.why, f)
			}
		})
	}
}

// TestFindingsOrderAndScheduleV4: findings come sorted by file, then line, whatever the order
// the resources came in; a CronWorkflow still on spec.schedule gets the Argo v4 warning on that
// line, one on spec.schedules none.
func TestFindingsOrderAndScheduleV4(t *testing.T) {
	cron := func(sched string) string {
		return "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: j}\nspec:\n  " + sched +
			"\n  workflowSpec:\n    entrypoint: main\n    templates: [{name: main, container: {image: alpine}}]\n"
	}
	b, err := manifest.Read("b.yaml", []byte(cron(`schedule: "0 3 * * *"`)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := manifest.Read("a.yaml", []byte(cron(`schedules: ["0 3 * * *"]`)+"---\n"+cron(`schedule: "0 4 * * *"`)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range lint.Run(context.Background(), config.Default(), append(b, a...)) {
		got = append(got, fmt.Sprintf("%s:%d:%s", f.File, f.Line, f.Rule))
	}
	want := "a.yaml:1:coverage a.yaml:5:starting-deadline a.yaml:10:coverage a.yaml:14:schedule-v4 a.yaml:14:starting-deadline b.yaml:1:coverage b.yaml:5:schedule-v4 b.yaml:5:starting-deadline"
	if strings.Join(got, " ") != want {
		t.Errorf("findings\n %s\nwant\n %s", strings.Join(got, " "), want)
	}
}
