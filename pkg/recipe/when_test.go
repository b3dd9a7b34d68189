package recipe_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/Knetic/govaluate"
	"github.com/argoproj/argo-workflows/v3/util/template"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// TestWhenMeansTheRunsOutcome evaluates each metric's `when` as the controller does at
// completion (Argo's util/template on the metric's JSON, then govaluate) for every outcome of a
// run: exactly one exit_code gauge is written, 0 only when the run succeeded, and the success
// timestamp only then. A failed exit handler fails the run; a retried handler attempt that
// recovered does not.
func TestWhenMeansTheRunsOutcome(t *testing.T) {
	const run = "nightly-1748746800"
	node := func(name, phase string) map[string]string {
		return map[string]string{"displayName": name, "message": "m", "templateName": "t", "phase": phase, "podName": name, "finishedAt": "2025-06-01T03:00:00Z"}
	}
	for name, tc := range map[string]struct {
		status    string
		failed    []map[string]string // workflow.failures
		succeeded bool
	}{
		"succeeded":                       {"Succeeded", nil, true},
		"failed":                          {"Failed", []map[string]string{node(run, "Failed")}, false},
		"error":                           {"Error", []map[string]string{node(run, "Error")}, false},
		"body ok, exit handler failed":    {"Succeeded", []map[string]string{node(run+".onExit", "Failed")}, false},
		"body failed, exit handler too":   {"Failed", []map[string]string{node(run, "Failed"), node(run+".onExit", "Failed")}, false},
		"exit handler retry recovered":    {"Succeeded", []map[string]string{node(run+".onExit(0)", "Failed")}, true},
		"another job's handler in a name": {"Succeeded", []map[string]string{node(run+"-x.onExit", "Failed")}, true},
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := json.Marshal(tc.failed)
			scope := map[string]any{"status": tc.status, "workflow.status": tc.status, "workflow.name": run,
				"workflow.failures": strconv.Quote(string(b)), "workflow.namespace": "data",
				"workflow.duration": "1.000000", "workflow.creationTimestamp.s": "1748746800"}
			written := map[string][]string{}
			for _, m := range recipe.BuildJob(config.Default(), recipe.Job{Name: "nightly", StalenessThresholdSeconds: 90000}) {
				if evaluate(t, m, scope) {
					written[m.Name] = append(written[m.Name], m.Gauge.Value)
				}
			}
			want := "1"
			if tc.succeeded {
				want = "0"
			}
			if got := written["exit_code"]; len(got) != 1 || got[0] != want {
				t.Errorf("exit_code gauges written %v, want [%s]", got, want)
			}
			if got := len(written["last_success_timestamp"]) == 1; got != tc.succeeded {
				t.Errorf("last_success_timestamp written: %v, want %v", got, tc.succeeded)
			}
			for _, always := range []string{"duration", "staleness_threshold_seconds"} {
				if len(written[always]) != 1 {
					t.Errorf("%s written %d times, want once whatever the outcome", always, len(written[always]))
				}
			}
		})
	}
}

// evaluate is the controller's computeMetrics for `when`: substitution on the JSON of the metric,
// then steps.go shouldExecute (govaluate, bare words as strings).
func evaluate(t *testing.T, m recipe.Metric, scope map[string]any) bool {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	replaced, err := template.Replace(string(b), scope, false)
	if err != nil {
		t.Fatalf("%s: Argo cannot substitute: %v", m.Name, err)
	}
	var sub recipe.Metric
	if err := json.Unmarshal([]byte(replaced), &sub); err != nil {
		t.Fatalf("%s: %v", m.Name, err)
	}
	if sub.When == "" {
		return true
	}
	expr, err := govaluate.NewEvaluableExpression(sub.When)
	if err != nil {
		t.Fatalf("%s: when %q: %v", m.Name, sub.When, err)
	}
	tokens := expr.Tokens()
	for i := range tokens {
		if tokens[i].Kind == govaluate.VARIABLE {
			tokens[i].Kind = govaluate.STRING
		}
	}
	if expr, err = govaluate.NewEvaluableExpressionFromTokens(tokens); err != nil {
		t.Fatal(err)
	}
	v, err := expr.Evaluate(nil)
	if err != nil {
		t.Fatalf("%s: when %q: %v", m.Name, sub.When, err)
	}
	ok, isBool := v.(bool)
	if !isBool {
		t.Fatalf("%s: when %q is %v, not a boolean", m.Name, sub.When, v)
	}
	return ok
}
