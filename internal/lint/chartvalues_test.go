package lint_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
)

const chartValuesJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
  namespace: data
  labels: {team: payments}
spec:
  schedules: ["0 3 * * *"]
  startingDeadlineSeconds: 60
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: {image: busybox}
`

// TestLintChartValues: `lint --chart-values FILE` reports a stream whose metrics are not what
// the chart reads with that values file, whatever the stream was injected with; a stream
// injected with the same file passes.
func TestLintChartValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	team := write("team-values.yaml", "argoMetricsConfig:\n  spec:\n    labels:\n      fromResource:\n        team: {}\n")
	renamed := write("renamed.yaml", "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec:\n  metrics:\n    exitCode: {name: job_failed}\n")
	plain := write("plain-values.yaml", "datadog: {enabled: true}\n")
	streams := 0
	inject := func(args ...string) string {
		streams++
		var out, errOut bytes.Buffer
		if code := cli.Run(append([]string{"inject"}, append(args, "-")...), cli.Env{Stdin: strings.NewReader(chartValuesJob), Stdout: &out, Stderr: &errOut}); code != cli.ExitOK {
			t.Fatalf("inject %v: %s", args, errOut.String())
		}
		return write(fmt.Sprintf("stream-%d.yaml", streams), out.String())
	}
	withTeam := inject("--config", team)
	withRenamed := inject("--config", renamed)
	withDefaults := inject("--config", plain)
	for name, tc := range map[string]struct {
		args  []string
		code  int
		wants []string
	}{
		"same file":                {[]string{"--chart-values", team, withTeam}, cli.ExitOK, nil},
		"chart has team, job not":  {[]string{"--chart-values", team, "--config", plain, withDefaults}, cli.ExitChanges, []string{"argo_workflows_exit_code has the label keys [cronworkflow,namespace]; the chart (" + team + ") groups its alerts by [cronworkflow,namespace,team]"}},
		"renamed metric":           {[]string{"--chart-values", plain, "--config", renamed, withRenamed}, cli.ExitChanges, []string{"the chart (" + plain + ") reads argo_workflows_exit_code (argoMetricsConfig spec.metrics.exitCode), which this CronWorkflow does not export", "argo_workflows_job_failed is argo-metrics-gen's (managed-metrics annotation) but the chart"}},
		"coverage from the values": {[]string{"--chart-values", team, withDefaults}, cli.ExitChanges, []string{"carries argo-metrics-gen metrics that differ from the configuration"}},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := cli.Run(append([]string{"lint"}, tc.args...), cli.Env{Stdout: &out, Stderr: &errOut})
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			for _, w := range tc.wants {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if tc.wants == nil && strings.Contains(out.String(), "[chart-values]") {
				t.Errorf("findings on a stream injected with the same file:\n%s", out.String())
			}
		})
	}
}
