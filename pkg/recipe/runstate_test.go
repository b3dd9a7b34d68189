package recipe_test

import (
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// TestRunStateGauges: the factor and failure threshold gauges carry the job's own settings (its
// annotations), else the configuration's; the run-time limit gauge exists only for a job whose
// limit is known (a CronWorkflow), even a limit of one second.
func TestRunStateGauges(t *testing.T) {
	c, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\n" +
		"spec: {metrics: {currentRun: {enabled: true}, consecutiveFailures: {enabled: true}}, runTime: {factor: 2.5}, consecutiveFailures: {threshold: 4}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		job                      recipe.Job
		factor, threshold, limit string // "" for an absent gauge
	}{
		"the configuration's":  {recipe.Job{Name: "a"}, "2.5", "4", ""},
		"the job's own":        {recipe.Job{Name: "a", Settings: config.JobSettings{RunTimeFactor: 1.5, FailureThreshold: 2}, RunTimeLimitSeconds: 3600}, "1.5", "2", "3600"},
		"a limit of a second":  {recipe.Job{Name: "a", RunTimeLimitSeconds: 1}, "2.5", "4", "1"},
		"factor of a thousand": {recipe.Job{Name: "a", Settings: config.JobSettings{RunTimeFactor: 1000}}, "1000", "4", ""},
	} {
		values := map[string]string{}
		for _, m := range recipe.BuildJob(c, tc.job) {
			values[m.Name] = m.Gauge.Value
		}
		for metric, want := range map[string]string{"run_time_factor": tc.factor, "consecutive_failures_threshold": tc.threshold, "run_time_limit_seconds": tc.limit} {
			if got, ok := values[metric]; got != want || ok != (want != "") {
				t.Errorf("%s: %s = %q (present %v), want %q", name, metric, got, ok, want)
			}
		}
	}
}
