package chart_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestHelmRouteMatchesInject renders the CronWorkflows of the cronWorkflows scenario and
// checks, for each, that the injector finds it already up to date and that the injector,
// given the same CronWorkflow without the block, produces the same object.
// With the run-state recipe (examples/run-state/config.yaml) the entries also carry the
// run-state values: a limit each (at most the schedule's shortest gap, as inject checks), a
// factor and a failure threshold on one.
func TestHelmRouteMatchesInject(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		helmRouteMatchesInject(t, chartDir, config.Default(), scenario(t, "07-cronworkflows-values.yaml"))
	})
	t.Run("run-state", func(t *testing.T) {
		cfg, err := config.LoadFile(filepath.Join("..", "..", "examples", "run-state", "config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		vals := mergeValues(mergeValues(scenario(t, "07-cronworkflows-values.yaml"), runStateValues(t)), map[string]any{"cronWorkflows": map[string]any{
			"nightly-report": map[string]any{"runTimeLimitSeconds": 86400, "runTimeFactor": 1.5, "failureThreshold": 5},
			"hourly-sync":    map[string]any{"runTimeLimitSeconds": 1200},
			"on":             map[string]any{"runTimeLimitSeconds": 86400},
		}})
		dir := chartDir
		helmRouteMatchesInject(t, dir, cfg, vals)
		// The entry's values reached the block (inject reads them back from the annotations).
		res, err := chart.Render(dir, vals, chart.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cw := range res.OfKind("CronWorkflow") {
			ann := cw.Body["metadata"].(map[string]any)["annotations"].(map[string]any)
			want := map[string]any{"nightly-report": "1.5/5/86400", "hourly-sync": "<nil>/<nil>/1200", "on": "<nil>/<nil>/86400"}[cw.Name]
			if got := fmt.Sprintf("%v/%v/%v", ann[config.AnnotationRunTimeFactor], ann[config.AnnotationConsecutiveFailures], ann[config.AnnotationMaxRunSeconds]); got != want {
				t.Errorf("%s: factor/failures/limit annotations %s, want %s", cw.Name, got, want)
			}
		}
	})
}

func helmRouteMatchesInject(t *testing.T, dir string, cfg *config.Config, vals map[string]any) {
	res, err := chart.Render(dir, vals, chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cws := res.OfKind("CronWorkflow")
	if len(cws) != 3 {
		t.Fatalf("%d CronWorkflows rendered, want 3", len(cws))
	}
	in := &inject.Injector{Config: cfg}
	for _, cw := range cws {
		t.Run(cw.Name, func(t *testing.T) {
			r, err := in.Stream([]byte(cw.Text))
			if err != nil {
				t.Fatalf("inject: %v", err)
			}
			if r.Changed || len(r.Reports) != 1 || r.Reports[0].Action != inject.Unchanged {
				t.Errorf("inject would change the chart's CronWorkflow (%+v):\n%s", r.Reports, r.Bytes())
			}

			stripped := stripBlock(t, cw.Text, helmtpl.BuildRecipe(cfg))
			r, err = in.Stream(stripped)
			if err != nil {
				t.Fatalf("inject: %v", err)
			}
			if !r.Changed {
				t.Fatalf("stripping the block left nothing for inject to do:\n%s", stripped)
			}
			var want, got map[string]any
			if err := yaml.Unmarshal(r.Bytes(), &want); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(cw.Text), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("chart object differs from inject's:\nchart:\n%s\ninject:\n%s", cw.Text, r.Bytes())
			}
			if cw.Name == "hourly-sync" {
				prom, _ := chart.Path(got, "spec", "workflowSpec", "metrics", "prometheus", 0, "name")
				if prom != "rows_synced" {
					t.Errorf("the job's own metric must stay first, got %v", prom)
				}
			}
		})
	}
}

// stripBlock removes what the chart adds for the metrics (our entries and the managed
// annotation); the threshold and labels annotations stay, as a user would have written them.
func stripBlock(t *testing.T, text string, rc helmtpl.Recipe) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, n := range rc.Metrics {
		ours[n] = true
	}
	wf := doc["spec"].(map[string]any)["workflowSpec"].(map[string]any)
	var keep []any
	for _, m := range wf["metrics"].(map[string]any)["prometheus"].([]any) {
		if !ours[m.(map[string]any)["name"].(string)] {
			keep = append(keep, m)
		}
	}
	if len(keep) == 0 {
		delete(wf, "metrics")
	} else {
		wf["metrics"] = map[string]any{"prometheus": keep}
	}
	delete(doc["metadata"].(map[string]any)["annotations"].(map[string]any), config.AnnotationManaged)
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Configurations the named template is generated from in TestNamedTemplateIsInjectOutput:
// the defaults, and one with other names, label keys, static labels and the staleness gauge off.
var configs = map[string]string{
	"default": "",
	"custom": `apiVersion: argo-metrics-gen.io/v1alpha1
kind: ArgoMetricsConfig
metadata: {name: custom}
spec:
  metrics:
    exitCode: {name: job_failed, help: "1 when the job's last run failed: {{not a template}}"}
    duration: {name: job_duration_seconds}
    lastSuccess: {enabled: false}
    stalenessThreshold: {enabled: false}
  labels:
    namespace: job_namespace
    name: job
    static: {team: platform, tier: "on", env: "0"}
`,
	// Every run-state option, with its per-job values as template arguments.
	"run-state": `apiVersion: argo-metrics-gen.io/v1alpha1
kind: ArgoMetricsConfig
metadata: {name: run-state}
spec:
  metrics:
    currentRun: {enabled: true}
    consecutiveFailures: {enabled: true}
  runTime: {factor: 1.5}
  consecutiveFailures: {threshold: 2}
`,
}

// TestNamedTemplateIsInjectOutput renders CronWorkflows with the named templates through Helm,
// for each configuration, and compares the result byte for byte with what inject writes into
// the same CronWorkflow without the block: from the batch-monitoring chart given the
// configuration in its values (as a packaged chart is used, and a parent chart passes "config"),
// and from a chart of one's own holding only `argo-metrics-gen helm-template --config` output.
func TestNamedTemplateIsInjectOutput(t *testing.T) {
	jobs := []struct {
		name, labels, threshold string
	}{
		{"nightly-report", "", "90000"},
		{"on", "", "86400"},           // a YAML 1.1 boolean: quoted, as the recipe does
		{"0-report.v2", "", "172800"}, // starts with a digit
		{"payments", "team: payments", "604800"},
	}
	for cfgName, cfgText := range configs {
		cfg := config.Default()
		vals := map[string]any{}
		if cfgText != "" {
			var err error
			if cfg, err = config.Parse([]byte(cfgText)); err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if err := yaml.Unmarshal([]byte(cfgText), &v); err != nil {
				t.Fatal(err)
			}
			vals["argoMetricsConfig"] = v
		}
		rc := helmtpl.BuildRecipe(cfg)
		for _, route := range []string{"chart values", "own chart"} {
			t.Run(cfgName+"/"+route, func(t *testing.T) {
				var b strings.Builder
				for _, j := range jobs {
					if j.labels != "" && len(cfg.Spec.Labels.Static) == 0 {
						continue
					}
					args := `"name" "` + j.name + `"`
					if route == "chart values" {
						args += ` "config" .Values.argoMetricsConfig`
					}
					if _, ok := rc.Metrics["stalenessThreshold"]; ok {
						args += ` "stalenessThresholdSeconds" ` + j.threshold
					}
					if _, ok := rc.Metrics["runTimeLimit"]; ok {
						// At most the daily schedule's gap (inject checks the annotation against it).
						args += ` "runTimeLimitSeconds" 3600`
						if j.name == "nightly-report" {
							args += ` "runTimeFactor" 2.5 "failureThreshold" 5`
						}
						if j.name == "on" {
							args += ` "runTimeFactor" 4`
						}
					}
					if j.labels != "" {
						k, v, _ := strings.Cut(j.labels, ": ")
						args += ` "labels" (dict "` + k + `" "` + v + `")`
					}
					b.WriteString("---\napiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: " +
						quoteName(j.name) + "\n  namespace: data\n  annotations:\n" +
						"    {{- include \"batch-monitoring.workflowMetricsAnnotations\" (dict " + args + ") | nindent 4 }}\n" +
						"spec:\n  schedule: \"0 3 * * *\"\n  workflowSpec:\n    entrypoint: main\n" +
						"    {{- include \"batch-monitoring.workflowMetrics\" (dict " + args + ") | nindent 4 }}\n")
				}
				var res *chart.Result
				var err error
				if route == "chart values" {
					res, err = chart.Render(chartDir, vals, chart.Options{Templates: map[string]string{"zz-test-cronworkflows.yaml": b.String()}})
				} else {
					dir := ownChart(t, cfg)
					write(t, filepath.Join(dir, "templates", "zz-test-cronworkflows.yaml"), b.String())
					res, err = chart.Render(dir, nil, chart.Options{})
				}
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				in := &inject.Injector{Config: cfg}
				for _, o := range res.Objects {
					if !strings.HasSuffix(o.Source, "zz-test-cronworkflows.yaml") {
						continue
					}
					n++
					text := o.Text[strings.Index(o.Text, "\n")+1:] + "\n" // without "# Source:"
					without := withoutBlock(t, text)
					r, err := in.Stream([]byte(without))
					if err != nil {
						t.Fatalf("inject: %v\n%s", err, without)
					}
					if string(r.Bytes()) != text {
						t.Errorf("%s: Helm's rendering differs from inject's:\n--- helm\n%s\n--- inject\n%s", o.Name, text, r.Bytes())
					}
				}
				if n == 0 {
					t.Fatal("no CronWorkflow rendered")
				}
			})
		}
	}
}

// ownChart is a chart of one's own holding only `argo-metrics-gen helm-template --config`
// output for cfg.
func ownChart(t *testing.T, cfg *config.Config) string {
	t.Helper()
	tpl, err := helmtpl.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "own")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "Chart.yaml"), "apiVersion: v2\nname: own\nversion: 0.1.0\n")
	write(t, filepath.Join(dir, "templates", "_workflow-metrics.tpl"), string(tpl))
	return dir
}

func quoteName(n string) string {
	if n == "on" || n[0] >= '0' && n[0] <= '9' {
		return `"` + n + `"`
	}
	return n
}

// withoutBlock cuts the generated lines out of a rendered CronWorkflow: the metrics block
// (from "    metrics:" to the end) and the managed-metrics annotation line.
func withoutBlock(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "\n    metrics:\n")
	if i < 0 {
		t.Fatalf("no metrics block in\n%s", text)
	}
	text = text[:i+1]
	var out []string
	for _, l := range strings.SplitAfter(text, "\n") {
		if !strings.Contains(l, config.AnnotationManaged+":") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The Helm-values route copies spec.labels.fromResource from each entry's labels as the injector
// does, and refuses what it refuses: a value Kubernetes would refuse on a label.
func TestHelmRouteResourceLabels(t *testing.T) {
	base := map[string]any{"argoMetricsConfig": map[string]any{"spec": map[string]any{"labels": map[string]any{
		"fromResource": map[string]any{"team": map[string]any{"default": "unowned"}}}}}}
	entry := func(labels map[string]any) map[string]any {
		return mergeValues(base, map[string]any{"cronWorkflows": map[string]any{"sync": map[string]any{
			"labels": labels, "stalenessThresholdSeconds": 7200,
			"spec": map[string]any{"schedules": []any{"0 * * * *"}, "workflowSpec": map[string]any{"entrypoint": "main"}}}}})
	}
	for name, tc := range map[string]struct {
		labels  map[string]any
		want    string // the team label of the metrics
		wantErr string
	}{
		"own label":    {map[string]any{"team": "payments"}, "payments", ""},
		"no label":     {map[string]any{"tier": "gold"}, "unowned", ""},
		"empty label":  {map[string]any{"team": ""}, "unowned", ""},
		"invalid":      {map[string]any{"team": "Payments Team"}, "", `metadata.labels.team: "Payments Team" is not a valid label value`},
		"too long":     {map[string]any{"team": strings.Repeat("a", 64)}, "", "metadata.labels.team"},
		"not a string": {map[string]any{"team": 42}, "", "values don't meet the specifications of the schema"},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := chart.Render(chartDir, entry(tc.labels), chart.Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cws := res.OfKind("CronWorkflow")
			if len(cws) != 1 {
				t.Fatalf("%d CronWorkflows", len(cws))
			}
			prom, _ := chart.Path(cws[0].Body, "spec", "workflowSpec", "metrics", "prometheus", 0, "labels", 2, "value")
			if prom != tc.want {
				t.Errorf("team label %v, want %s", prom, tc.want)
			}
			r, err := (&inject.Injector{Config: configOf(t, entry(tc.labels))}).Stream([]byte(cws[0].Text))
			if err != nil || r.Changed {
				t.Errorf("inject disagrees with the chart's CronWorkflow (%v)", err)
			}
		})
	}
}
