package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// gitopsRepo writes a repository laid out as public GitOps repositories are: plain job
// manifests, a Helm chart whose templates hold a CronWorkflow, a kustomization, values files,
// a Helm template outside any chart, and the given broken files.
// alerts holds Go template text that survives rendering (Alertmanager and rule templates):
// a manifest, not a Helm template.
const alerts = `apiVersion: v1
kind: ConfigMap
metadata: {name: am}
data:
  slack.tmpl: |
    {{ define "slack.title" }}{{ .CommonLabels.alertname }}{{ end }}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r}
spec:
  groups:
  - name: g
    rules:
    - alert: X
      expr: up == 0
      annotations:
        summary: "{{ $labels.instance }} down"
`

func gitopsRepo(t *testing.T, broken map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	cw := string(read(t, "../../examples/quickstart/cronworkflow.yaml"))
	files := map[string]string{
		"apps/jobs/report.yaml":                     cw,
		"apps/jobs/kustomization.yaml":              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [report.yaml]\n",
		"apps/jobs/values-prod.yaml":                "schedule: \"{{ .Values.cron }}\"\n",
		"charts/jobs/Chart.yaml":                    "apiVersion: v2\nname: jobs\nversion: 0.1.0\n",
		"charts/jobs/values.yaml":                   "schedule: \"0 3 * * *\"\n",
		"charts/jobs/templates/cronworkflow.yaml":   strings.Replace(strings.Replace(cw, "name: nightly-report", "name: {{ .Release.Name }}-report", 1), `"0 3 * * *"`, "{{ .Values.schedule | quote }}", 1),
		"charts/jobs/templates/_helpers.tpl":        "{{- define \"x\" -}}x{{- end -}}\n",
		"charts/jobs/templates/not-yaml-alone.yaml": "{{- if .Values.extra }}\nextra: [\n{{- end }}\n",
		"apps/monitoring/alerts.yaml":               alerts,
		"apps/jobs/overlays/dev/kustomization.yaml": "resources: [../..]\npatches:\n- path: params.yaml\npatchesStrategicMerge: [suspend.yaml]\n",
		"apps/jobs/overlays/dev/params.yaml":        "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: nightly-report}\nspec:\n  workflowSpec:\n    arguments: {parameters: [{name: env, value: dev}]}\n",
		"apps/jobs/overlays/dev/suspend.yaml":       "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: nightly-report}\nspec: {suspend: true}\n",
		"helm/loose-template.yaml":                  strings.Replace(cw, "namespace: data", "namespace: {{ .Release.Namespace }}", 1),
	}
	for k, v := range broken {
		files[k] = v
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out[p] = string(read(t, p))
		}
		return nil
	})
	return out
}

// TestTreeWalkLeavesChartsAlone: a tree run rewrites the manifests and nothing else; the chart
// still renders with Helm afterwards (its templates were not given {{workflow.*}} actions), and
// the skipped files are named with the route to use instead.
func TestTreeWalkLeavesChartsAlone(t *testing.T) {
	dir := gitopsRepo(t, nil)
	before := snapshot(t, dir)
	check := runBinary(t, nil, dir, "inject", "--check", ".")
	if check.code != 1 || check.stdout != "apps/jobs/report.yaml\n" {
		t.Fatalf("--check: code %d stdout %q stderr %q", check.code, check.stdout, check.stderr)
	}
	for _, want := range []string{"charts/jobs/: skipped, a Helm chart (Chart.yaml)", "--post-renderer", "values",
		"apps/jobs/kustomization.yaml: skipped", "apps/jobs/values-prod.yaml: skipped",
		"apps/jobs/overlays/dev/params.yaml: skipped, a Kustomize patch", "apps/jobs/overlays/dev/suspend.yaml: skipped, a Kustomize patch",
		"helm/loose-template.yaml: skipped, an unrendered Helm template (line 6: namespace: {{ .Release.Namespace }})"} {
		if !strings.Contains(check.stderr, want) {
			t.Errorf("--check stderr lacks %q:\n%s", want, check.stderr)
		}
	}
	if strings.Contains(check.stderr, "alerts.yaml") {
		t.Errorf("a manifest with Alertmanager templates was skipped:\n%s", check.stderr)
	}
	r := runBinary(t, nil, dir, "inject", "--in-place", "-v", ".")
	if r.code != 0 {
		t.Fatalf("--in-place: code %d stderr %q", r.code, r.stderr)
	}
	after := snapshot(t, dir)
	for p, text := range before {
		changed := after[p] != text
		if changed != strings.HasSuffix(p, "apps/jobs/report.yaml") {
			t.Errorf("%s: changed %v", p, changed)
		}
	}
	if !strings.Contains(r.stderr, "apps/jobs/report.yaml:3: CronWorkflow data/nightly-report: injected") {
		t.Errorf("-v: %s", r.stderr)
	}
	if _, err := chart.Render(filepath.Join(dir, "charts/jobs"), nil, chart.Options{}); err != nil {
		t.Errorf("the chart no longer renders after the tree run: %v", err)
	}
	for _, args := range [][]string{{"lint", "."}, {"schedule", "."}, {"preview", "."}} {
		if r := runBinary(t, nil, dir, args...); r.code != 0 || !strings.Contains(r.stderr, "charts/jobs/: skipped") {
			t.Errorf("%v on the repository: code %d stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestTreeWalkReportsEveryBrokenFile: with several broken files, every command names each of
// them (file and line), exits 2, and --in-place writes nothing; -v reports no injection.
func TestTreeWalkReportsEveryBrokenFile(t *testing.T) {
	cw := string(read(t, "../../examples/quickstart/cronworkflow.yaml"))
	broken := map[string]string{
		"apps/a/truncated.yaml":   "apiVersion: v1\nkind: ConfigMap\ndata: {a: [\n",
		"apps/b/bad-cron.yaml":    strings.Replace(cw, `"0 3 * * *"`, `"0 3 * * 8"`, 1),
		"apps/c/duplicate.yaml":   cw + "---\na: 1\na: 2\n",
		"apps/d/no-workflow.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: w}\nspec: {schedule: \"0 0 * * *\"}\n",
	}
	dir := gitopsRepo(t, broken)
	before := snapshot(t, dir)
	want := map[string]string{
		"inject":  "apps/a/truncated.yaml:4:",
		"inject2": "apps/b/bad-cron.yaml:",
		"inject3": "apps/c/duplicate.yaml:",
		"inject4": "apps/d/no-workflow.yaml:",
	}
	for _, args := range [][]string{{"inject", "--in-place", "-v", "."}, {"inject", "--check", "."}, {"inject", "."}, {"schedule", "."}} {
		r := runBinary(t, nil, dir, args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%v: code %d stdout %q", args, r.code, r.stdout)
		}
		for _, w := range want {
			if args[0] == "schedule" && strings.Contains(w, "no-workflow") {
				continue // the schedule needs no workflowSpec
			}
			if !strings.Contains(r.stderr, "argo-metrics-gen: "+w) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, w, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "injected") {
			t.Errorf("%v: -v reports an injection that was not written:\n%s", args, r.stderr)
		}
	}
	for _, args := range [][]string{{"lint", "."}, {"preview", "."}} {
		r := runBinary(t, nil, dir, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "apps/a/truncated.yaml:4:") || !strings.Contains(r.stderr, "apps/c/duplicate.yaml:") {
			t.Errorf("%v: code %d stderr %q", args, r.code, r.stderr)
		}
	}
	after := snapshot(t, dir)
	for p, text := range before {
		if after[p] != text {
			t.Errorf("%s was written although the run failed", p)
		}
	}
}

// TestScheduleOwnZone: a schedule with its own CRON_TZ= is analysed in that zone and shown so.
func TestScheduleOwnZone(t *testing.T) {
	cw := strings.Replace(string(read(t, "../../examples/quickstart/cronworkflow.yaml")), `schedule: "0 3 * * *"`, `schedule: "CRON_TZ=Asia/Tokyo 0 6 * * 1-5"`, 1)
	cw = strings.Replace(cw, "  timezone: Asia/Tokyo\n", "", 1)
	if !strings.Contains(cw, "CRON_TZ") || strings.Contains(cw, "timezone:") {
		t.Fatal("the quickstart changed shape")
	}
	r := runBinary(t, []byte(cw), "", "schedule")
	if r.code != 0 || !strings.Contains(r.stdout, "(in the schedule)") || !strings.Contains(r.stdout, "259200s (3d)") {
		t.Fatalf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
