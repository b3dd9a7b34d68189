package preview_test

import (
	"context"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
)

// TestFailedExitHandlerIsNoSuccess: when the handler fails the run is Failed, so besides
// exit_code 1 the job must not record a success: last_success_timestamp is not written, and
// the staleness alert keeps counting from the last real success.
func TestFailedExitHandlerIsNoSuccess(t *testing.T) {
	withHandler := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    onExit: run\n", 1)
	rs, err := manifest.Read("in.yaml", []byte(injected(t, withHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for failed, want := range map[bool]struct {
		exitCode    string
		lastSuccess bool
	}{false: {"0", true}, true: {"1", false}} {
		ws, err := preview.Run(context.Background(), rs, preview.Options{Status: wfv1.WorkflowSucceeded, Duration: 1, Created: preview.DefaultCreated, ExitHandlerFailed: failed})
		if err != nil || len(ws) != 1 || len(ws[0].Errors) > 0 {
			t.Fatalf("%v %+v", err, ws)
		}
		var exitCodes []string
		lastSuccess := false
		for _, line := range ws[0].Series {
			name, value, _ := strings.Cut(line, " ")
			switch {
			case strings.HasPrefix(name, "argo_workflows_exit_code{"):
				exitCodes = append(exitCodes, value)
			case strings.HasPrefix(name, "argo_workflows_last_success_timestamp{"):
				lastSuccess = value == "1.7487468e+09"
			}
		}
		if len(exitCodes) != 1 || exitCodes[0] != want.exitCode {
			t.Errorf("handler failed=%v: exit_code %v, want [%s]", failed, exitCodes, want.exitCode)
		}
		if lastSuccess != want.lastSuccess {
			t.Errorf("handler failed=%v: last_success_timestamp written=%v, want %v: %q", failed, lastSuccess, want.lastSuccess, ws[0].Series)
		}
	}
}

// TestExitCodeOnlyWhenAPodRan: {{exitCode}} exists for a pod entry node that ran (0 on success,
// 1 on failure); a run that ended in Error has no exit code, and the controller drops the metric.
func TestExitCodeOnlyWhenAPodRan(t *testing.T) {
	doc := strings.Replace(steps, "      steps: [[{name: a, template: run}]]\n", "      container: {image: alpine, command: [\"true\"]}\n", 1)
	doc = strings.Replace(doc, "    entrypoint: main\n", "    entrypoint: main\n    metrics: {prometheus: [{name: code, help: h, gauge: {value: \"{{exitCode}}\"}}]}\n", 1)
	for status, want := range map[wfv1.WorkflowPhase]string{
		wfv1.WorkflowSucceeded: "argo_workflows_code 0",
		wfv1.WorkflowFailed:    "argo_workflows_code 1",
		wfv1.WorkflowError:     "",
	} {
		ws := run(t, doc, status)
		if got := strings.Join(ws[0].Series, "\n"); got != want {
			t.Errorf("%s: series %q, want %q", status, got, want)
		}
		wantErr := want == ""
		if gotErr := len(ws[0].Errors) == 1 && strings.Contains(ws[0].Errors[0], "failed to resolve {{exitCode}}"); gotErr != wantErr {
			t.Errorf("%s: errors %q, want the controller's failed to resolve: %v", status, ws[0].Errors, wantErr)
		}
	}
}

// TestRealtimeOnlyDuration: the controller keeps a realtime gauge only on {{workflow.duration}}
// or {{duration}}, and says so for anything else.
func TestRealtimeOnlyDuration(t *testing.T) {
	for value, wantErr := range map[string]string{
		"{{workflow.duration}}": "", "{{duration}}": "",
		"{{workflow.status}}": "'workflow.status' is not available as a real time metric",
	} {
		doc := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    metrics: {prometheus: [{name: rt, help: h, gauge: {realtime: true, value: \""+value+"\"}}]}\n", 1)
		ws := run(t, doc, wfv1.WorkflowSucceeded)
		if got := strings.Join(ws[0].Errors, "\n"); got != wantErr {
			t.Errorf("%s: errors %q, want %q", value, got, wantErr)
		}
	}
}

// TestWholeJSONVariables: {{workflow.labels.json}} and {{workflow.parameters.json}} hold the
// run's labels (the cron controller's among them) and arguments as JSON.
func TestWholeJSONVariables(t *testing.T) {
	doc := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    arguments: {parameters: [{name: rows, value: \"10\"}]}\n"+
		"    metrics: {prometheus: [{name: j, help: h, labels: [{key: l, value: \"{{workflow.labels.json}}\"}, {key: p, value: \"{{workflow.parameters.json}}\"}], gauge: {value: \"1\"}}]}\n", 1)
	ws := run(t, doc, wfv1.WorkflowSucceeded)
	if len(ws[0].Errors) > 0 || len(ws[0].Series) != 1 {
		t.Fatalf("%q %q", ws[0].Errors, ws[0].Series)
	}
	s := ws[0].Series[0]
	for _, want := range []string{`workflows.argoproj.io/cron-workflow\":\"nightly\"`, `p="[{\"name\":\"rows\",\"value\":\"10\"}]"`} {
		if !strings.Contains(s, want) {
			t.Errorf("want %s in %s", want, s)
		}
	}
}

// TestFailuresVariable: {{workflow.failures}} lists the failed nodes as the controller does:
// nothing for a success, the entry node (finished at creation plus the run's duration) for a
// failed run, and the "<workflow>.onExit" node when the handler failed.
func TestFailuresVariable(t *testing.T) {
	doc := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    onExit: run\n"+
		"    metrics: {prometheus: [{name: f, help: h, labels: [{key: failures, value: \"{{workflow.failures}}\"}], gauge: {value: \"1\"}}]}\n", 1)
	rs, err := manifest.Read("in.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	finished := `"finishedAt":"2025-06-01T03:01:30Z"` // DefaultCreated + 90 s
	for name, tc := range map[string]struct {
		opts       preview.Options
		want, none []string
	}{
		"success":        {preview.Options{Status: wfv1.WorkflowSucceeded}, []string{`null`}, []string{`displayName`}},
		"failed run":     {preview.Options{Status: wfv1.WorkflowFailed}, []string{finished, `"phase":"Failed"`, `"templateName":"main"`}, []string{`.onExit`}},
		"error":          {preview.Options{Status: wfv1.WorkflowError}, []string{finished, `"phase":"Error"`}, []string{`.onExit`}},
		"failed handler": {preview.Options{Status: wfv1.WorkflowSucceeded, ExitHandlerFailed: true}, []string{finished, `"displayName":"nightly-1748746800.onExit"`}, []string{`"templateName":"main"`}},
	} {
		tc.opts.Duration, tc.opts.Created = 90, preview.DefaultCreated
		ws, err := preview.Run(context.Background(), rs, tc.opts)
		if err != nil || len(ws) != 1 || len(ws[0].Errors) > 0 || len(ws[0].Series) != 1 {
			t.Fatalf("%s: %v %+v", name, err, ws)
		}
		s := strings.ReplaceAll(ws[0].Series[0], `\`, "") // the JSON, quoted as a label value
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: want %s in %s", name, w, s)
			}
		}
		for _, w := range tc.none {
			if strings.Contains(s, w) {
				t.Errorf("%s: %s must not be in %s", name, w, s)
			}
		}
	}
}

// TestGaugeOperationsFromBefore: a gauge with operation Add or Sub changes the value earlier runs
// left (--before), whatever its size; a plain gauge sets its value.
func TestGaugeOperationsFromBefore(t *testing.T) {
	for op, want := range map[string]string{"Add": "argo_workflows_g 12.5", "Sub": "argo_workflows_g 10.5", "Set": "argo_workflows_g 1"} {
		doc := strings.Replace(steps, "    entrypoint: main\n", "    entrypoint: main\n    metrics: {prometheus: [{name: g, help: h, gauge: {operation: "+op+", value: \"1\"}}]}\n", 1)
		rs, err := manifest.Read("in.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		ws, err := preview.Run(context.Background(), rs, preview.Options{Status: wfv1.WorkflowSucceeded, Duration: 1, Created: preview.DefaultCreated, Before: map[string]float64{"g": 11.5}})
		if err != nil || len(ws) != 1 || len(ws[0].Errors) > 0 {
			t.Fatalf("%s: %v %+v", op, err, ws)
		}
		if got := strings.Join(ws[0].Series, "\n"); got != want {
			t.Errorf("%s from 11.5: series %q, want %q", op, got, want)
		}
	}
}
