//go:build linux

package e2e

import (
	"context"
	"strconv"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
)

// comparePreview runs the project's offline `preview` on the applied CronWorkflow with the
// run's outcome (phase, the duration the controller exported, creation time) and checks that
// every line it predicts is exactly the line the controller exports (lines preview does not
// predict are the ones earlier runs left, e.g. last_success_timestamp after a failure; the
// model checks those).
func (j *Job) comparePreview(wf *wfv1.Workflow, scraped *Exposition) {
	t := j.t
	t.Helper()
	dur := 0.0
	for _, s := range scraped.Select(metricPrefix+j.cfg.Spec.Metrics.Duration.Name, map[string]string{j.cfg.Spec.Labels.Name: j.Name}) {
		dur = s.Value
	}
	res, err := manifest.Read(j.Name+".yaml", j.Injected)
	if err != nil {
		t.Fatalf("preview: reading the injected CronWorkflow: %v", err)
	}
	// The consecutive-failure count before this run, as the model knows it.
	before := map[string]float64{}
	if wf.Status.Phase != wfv1.WorkflowSucceeded {
		before[j.cfg.Spec.Metrics.ConsecutiveFailures.Name] = float64(j.failStreak - 1)
	}
	out, err := preview.Run(context.Background(), res, preview.Options{Status: wf.Status.Phase, Duration: dur, Created: wf.CreationTimestamp.Time, Before: before})
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	if len(out) != 1 {
		t.Fatalf("preview: %d workflows, want 1", len(out))
	}
	if len(out[0].Series) == 0 {
		t.Fatalf("preview predicts no line for run %s", wf.Name)
	}
	if len(out[0].Errors) > 0 {
		t.Errorf("preview predicts metric errors the controller did not log: %s", strings.Join(out[0].Errors, "; "))
	}
	got := map[string]string{}
	for _, s := range scraped.Samples {
		got[Canonical(s.Name, s.Labels, "")] = s.Text
	}
	// The realtime gauge freezes at FinishedAt - StartedAt of the stored run (whole seconds);
	// preview, given the exact duration, predicts its whole seconds: at most 1 s apart.
	realtime := metricPrefix + j.cfg.Spec.Metrics.CurrentRun.Name
	var diffs []string
	for _, line := range out[0].Series {
		s, err := parseSample(line)
		if err != nil {
			t.Fatalf("preview line %q: %v", line, err)
		}
		key := Canonical(s.Name, s.Labels, "")
		if s.Name == realtime && realtimeRemovedAtCompletion(j.p.ArgoVersion) {
			continue // preview follows v3.7, which keeps the series (the model checks its absence)
		}
		if v, ok := got[key]; !ok {
			diffs = append(diffs, "preview: "+line+"\n    controller: (no such series)")
		} else if v != s.Text && !sameFloat(v, s.Text) && !(s.Name == realtime && closeFloat(v, s.Text)) {
			diffs = append(diffs, "preview: "+line+"\n    controller: "+key+v)
		}
	}
	if len(diffs) > 0 {
		t.Errorf("run %s (%s): preview disagrees with the controller:\n  %s", wf.Name, wf.Status.Phase, strings.Join(diffs, "\n  "))
	}
}

func closeFloat(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x-y <= 1 && y-x <= 1
}

func sameFloat(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}
