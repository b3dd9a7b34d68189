package preview_test

import (
	"context"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/lint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestTemplateRedefinition: a template-level metric named like one of ours, with its own help,
// is defined when its node completes, before the workflow does; Argo's metrics package then
// refuses our workflow-level one. Preview says so, as lint does.
func TestTemplateRedefinition(t *testing.T) {
	own := strings.Replace(steps, "    - name: run\n", "    - name: run\n      metrics:\n        prometheus:\n        - {name: duration, help: my step duration, gauge: {value: \"{{duration}}\"}}\n", 1)
	doc := injected(t, own)
	ws := run(t, doc, wfv1.WorkflowSucceeded)
	if len(ws) != 1 || len(ws[0].Errors) != 1 || !strings.Contains(ws[0].Errors[0], "could not construct metric 'duration'") {
		t.Fatalf("preview: %+v", ws)
	}
	for _, s := range ws[0].Series {
		if strings.HasPrefix(s, "argo_workflows_duration") {
			t.Errorf("our duration series is written although the controller refuses it: %s", s)
		}
	}
	rs, _ := manifest.Read("in.yaml", []byte(doc))
	found := false
	for _, f := range lint.Run(context.Background(), config.Default(), rs) {
		found = found || f.Rule == "redefinition"
	}
	if !found {
		t.Error("lint does not report the redefinition preview found")
	}
	// Without the template metric, nothing is refused.
	if ws := run(t, injected(t, steps), wfv1.WorkflowSucceeded); len(ws[0].Errors) != 0 {
		t.Fatalf("no template metric: %v", ws[0].Errors)
	}
}
