package chart_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// TestGeneratedFilesUpToDate fails when the chart README, the schema's descriptions or the
// Kustomize components are not what `make chart-template` makes of the chart today.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := chart.Generated(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2+2*len(chart.Components)+3+2+1 {
		t.Errorf("generated %d files", len(files))
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(p)))
		if err != nil {
			t.Errorf("%s: %v (run `make chart-template`)", p, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: run `make chart-template`", p)
		}
	}
}

// Every value is documented, and values.yaml and values.schema.json declare the same keys.
func TestValuesDocumentedAndInSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chart.ParseValues(data)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile(filepath.Join(chartDir, chart.SchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := chart.SchemaPaths(schema)
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, v := range vals {
		documented = append(documented, v.Path)
	}
	documented = append(documented, "global") // Helm's own, set for subcharts
	if !reflect.DeepEqual(sorted(documented), paths) {
		t.Errorf("values.yaml documents %v\nschema declares %v", sorted(documented), paths)
	}
	// Every declared property has a type and a description.
	var doc any
	if err := json.Unmarshal(schema, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		n := doc
		for _, part := range strings.Split(p, ".") {
			n, _ = chart.Path(n, "properties", part)
		}
		m, _ := n.(map[string]any)
		if m["type"] == nil || m["description"] == nil || m["description"] == "" {
			t.Errorf("schema of %s lacks type or description: %v", p, m)
		}
	}
}

// The documentation check must fail on an undocumented value and on a documented section.
func TestParseValuesRefusesUndocumented(t *testing.T) {
	_, err := chart.ParseValues([]byte("# -- ok\na: 1\nb: 2\nsec:\n  # -- no: sections are not values\n  inner:\n    # -- fine\n    x: y\n"))
	if err == nil || !strings.Contains(err.Error(), "b has no `# --` description") || !strings.Contains(err.Error(), "sec.inner is a section") {
		t.Errorf("err = %v", err)
	}
}

func TestSchemaRejects(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"unknown top-level key": {"datadogg": map[string]any{}},
		"unknown nested key":    {"datadog": map[string]any{"monitor": map[string]any{}}},
		"wrong enum":            {"controller": map[string]any{"flavour": "helm"}},
		"wrong type":            {"controller": map[string]any{"metrics": map[string]any{"port": "9090"}}},
		"create mode":           {"prometheus": map[string]any{"rules": map[string]any{"create": true}}},
		"cronWorkflow field":    {"cronWorkflows": map[string]any{"job": map[string]any{"spec": map[string]any{"workflowSpec": map[string]any{}}, "schedule": "x"}}},
		"notify handle":         {"datadog": map[string]any{"monitors": map[string]any{"notify": []any{"slack-team"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := chart.Render(chartDir, vals, chart.Options{})
			if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
				t.Errorf("want a schema error, got %v", err)
			}
		})
	}
	// Helm sets "global" on a subchart's values: it must stay accepted.
	if _, err := chart.Render(chartDir, map[string]any{"global": map[string]any{"x": 1}}, chart.Options{}); err != nil {
		t.Errorf("global: %v", err)
	}
}

// No value of the chart can carry a credential: Datadog keys are not the chart's business.
func TestNoSecretsInValues(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chart.ParseValues(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		last := strings.ToLower(v.Path[strings.LastIndex(v.Path, ".")+1:])
		for _, w := range []string{"key", "secret", "token", "password", "credential"} {
			if strings.Contains(last, w) {
				t.Errorf("value %s looks like a credential", v.Path)
			}
		}
	}
	res := render(t, scenario(t, "04-monitors-values.yaml"), allAPIs...)
	if k := res.Kinds()["Secret"]; k != 0 {
		t.Errorf("the chart renders %d Secrets", k)
	}
}

// Gating: optional objects render only when their API is served (auto) or when forced.
func TestRenderGates(t *testing.T) {
	gmpAuto := map[string]any{"prometheus": map[string]any{"gmp": map[string]any{"create": "auto"}}}
	cases := []struct {
		name string
		vals map[string]any
		apis []string
		want map[string]int
	}{
		{"nothing optional without the CRDs", nil, nil, map[string]int{"Service": 1}},
		{"DatadogMonitor API only", nil, []string{apiDatadogMonitor}, map[string]int{"Service": 1, "DatadogMonitor": 4}},
		{"PodMonitor API without PrometheusRule", nil, []string{apiPodMonitor}, map[string]int{"Service": 1, "PodMonitor": 1}},
		{"GMP auto needs both APIs", gmpAuto, []string{apiPodMonitoring}, map[string]int{"Service": 1}},
		{"GMP auto with both APIs", gmpAuto, []string{apiPodMonitoring, apiRules}, map[string]int{"Service": 1, "PodMonitoring": 1, "Rules": 1}},
		{"GMP is off by default", nil, []string{apiPodMonitoring, apiRules}, map[string]int{"Service": 1}},
		{"DatadogDashboard API only", nil, []string{apiDatadogDashboard}, map[string]int{"Service": 1, "DatadogDashboard": 1}},
		{"Grafana dashboard on request, whatever the APIs", map[string]any{"dashboards": map[string]any{"grafana": map[string]any{"enabled": true}}},
			nil, map[string]int{"Service": 1, "ConfigMap": 1}},
		{"never beats a served API", map[string]any{"datadog": map[string]any{"monitors": map[string]any{"create": "never"}},
			"dashboards": map[string]any{"datadog": map[string]any{"create": "never"}},
			"prometheus": map[string]any{"podMonitor": map[string]any{"create": "never"}, "rules": map[string]any{"create": "never"}}},
			allAPIs, map[string]int{"Service": 1}},
		{"Datadog disabled: no Service, no monitors", map[string]any{"datadog": map[string]any{"enabled": false}},
			[]string{apiDatadogMonitor, apiDatadogDashboard}, map[string]int{}},
		{"alerts disabled: empty rule sets are not rendered", map[string]any{"alerts": map[string]any{
			"lastRunFailed": map[string]any{"enabled": false}, "notSucceeded": map[string]any{"enabled": false},
			"slowRun": map[string]any{"enabled": false}, "controllerDown": map[string]any{"enabled": false},
			"missedSchedule": map[string]any{"enabled": false}, "suspended": map[string]any{"enabled": false}, "specError": map[string]any{"enabled": false}}},
			allAPIs, map[string]int{"Service": 1, "PodMonitor": 1, "DatadogDashboard": 1}},
		{"kube-state-metrics: its configuration and RBAC only when asked", map[string]any{"kubeStateMetrics": map[string]any{
			"configMap": map[string]any{"create": true}, "rbac": map[string]any{"create": true}}},
			nil, map[string]int{"Service": 1, "ConfigMap": 1, "ClusterRole": 1, "ClusterRoleBinding": 1}},
		{"Datadog monitors on kubernetes_state_core's custom resource metrics only when collected", map[string]any{"datadog": map[string]any{"kubeStateMetricsCore": map[string]any{"enabled": true}}},
			[]string{apiDatadogMonitor}, map[string]int{"Service": 1, "DatadogMonitor": 6}},
		{"no leader metric: no controller monitor", map[string]any{"datadog": map[string]any{"collectLeaderMetric": false}},
			[]string{apiDatadogMonitor}, map[string]int{"Service": 1, "DatadogMonitor": 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := render(t, c.vals, c.apis...).Kinds(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("rendered %v, want %v", got, c.want)
			}
		})
	}
}

// TestYAMLScalarMatchesRecipe renders batch-monitoring.yamlScalar on many strings and checks
// that it quotes exactly when recipe.Scalar does, and that the value reads back unchanged.
func TestYAMLScalarMatchesRecipe(t *testing.T) {
	inputs := []string{"exit_code", "0", "true", "Yes", "{{workflow.namespace}}", "a: b", "x #y", "", "null",
		"~", "-", "1e3", "0x1F", "é", "\u2028", "a\nb", "\t", `"`, "nightly-report", "team.a/b", "on", "ON",
		"n", "y", "_x", "-a", "yes_please", "abcdef", "a'b", "<tag>", `a\b`, "off", "False", "report-2024.v1"}
	rng := rand.New(rand.NewSource(1))
	const alphabet = "abcXYZ019_-./: #'\"{}é\\"
	for i := 0; i < 300; i++ {
		b := make([]rune, 1+rng.Intn(7))
		r := []rune(alphabet)
		for j := range b {
			b[j] = r[rng.Intn(len(r))]
		}
		inputs = append(inputs, string(b))
	}
	dir := copyChart(t)
	in, _ := json.Marshal(inputs)
	write(t, filepath.Join(dir, "scalar-inputs.json"), string(in))
	write(t, filepath.Join(dir, "templates", "zz-scalars.yaml"), `apiVersion: v1
kind: ConfigMap
metadata:
  name: scalars
data:
{{- range $i, $v := .Files.Get "scalar-inputs.json" | fromJsonArray }}
  k{{ $i }}: {{ include "batch-monitoring.yamlScalar" $v }}
{{- end }}
`)
	res, err := chart.Render(dir, nil, chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cm chart.Object
	for _, o := range res.OfKind("ConfigMap") {
		cm = o
	}
	lines := map[string]string{}
	for _, l := range strings.Split(cm.Text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ": "); ok && strings.HasPrefix(k, "k") {
			lines[k] = v
		}
	}
	for i, s := range inputs {
		k := fmt.Sprintf("k%d", i)
		if got := str(t, cm.Body, "data", k); got != s {
			t.Errorf("%q reads back as %q", s, got)
		}
		want, _ := yaml.Marshal(recipe.Scalar(s))
		wantText := strings.TrimSuffix(string(want), "\n")
		gotQuoted := strings.HasPrefix(lines[k], `"`)
		if gotQuoted != !recipe.PlainSafe(s) {
			t.Errorf("%q: Helm writes %s, the recipe %s", s, lines[k], wantText)
		}
		if !gotQuoted && lines[k] != wantText {
			t.Errorf("%q: Helm writes %s, the recipe %s", s, lines[k], wantText)
		}
	}
}

// TestNamedTemplateErrors: wrong arguments fail the render with the injector's reasons.
func TestNamedTemplateErrors(t *testing.T) {
	for name, c := range map[string]struct{ args, want string }{
		"not a dict":        {`"nightly"`, "the argument must be a dict"},
		"no name":           {`(dict "stalenessThresholdSeconds" 90000)`, "name (the CronWorkflow's metadata.name) is required"},
		"no threshold":      {`(dict "name" "nightly")`, "stalenessThresholdSeconds is required"},
		"negative":          {`(dict "name" "nightly" "stalenessThresholdSeconds" -5)`, "must be a positive whole number"},
		"fraction":          {`(dict "name" "nightly" "stalenessThresholdSeconds" 1.5)`, "must be a positive whole number"},
		"undeclared label":  {`(dict "name" "nightly" "stalenessThresholdSeconds" 90000 "labels" (dict "team" "x"))`, `label "team" is not declared`},
		"templated label":   {`(dict "name" "nightly" "stalenessThresholdSeconds" 90000 "labels" (dict "team" "{{x}}"))`, `not declared`},
		"valid (no error)":  {`(dict "name" "nightly" "stalenessThresholdSeconds" "90000")`, ""},
		"threshold as text": {`(dict "name" "nightly" "stalenessThresholdSeconds" "9e4")`, "must be a positive whole number"},
	} {
		t.Run(name, func(t *testing.T) {
			call := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  block: |\n    {{- include \"batch-monitoring.workflowMetrics\" " + c.args + " | nindent 4 }}\n"
			_, err := chart.Render(chartDir, nil, chart.Options{Templates: map[string]string{"zz-call.yaml": call}})
			if c.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// The run-state configuration (examples/run-state/config.yaml, from the values): the per-job
// values are arguments, checked as the injector checks the annotations; the values land in the
// block and annotations.
func TestRunStateTemplateArguments(t *testing.T) {
	const base = `"config" .Values.argoMetricsConfig "name" "nightly" "stalenessThresholdSeconds" 90000`
	for name, c := range map[string]struct{ args, want string }{
		"no limit":             {`(dict ` + base + `)`, "runTimeLimitSeconds is required"},
		"limit 0":              {`(dict ` + base + ` "runTimeLimitSeconds" 0)`, "runTimeLimitSeconds is required"},
		"limit fraction":       {`(dict ` + base + ` "runTimeLimitSeconds" 1.5)`, "runTimeLimitSeconds is required"},
		"factor 0":             {`(dict ` + base + ` "runTimeLimitSeconds" 3600 "runTimeFactor" 0)`, "runTimeFactor must be a number above 0"},
		"factor text":          {`(dict ` + base + ` "runTimeLimitSeconds" 3600 "runTimeFactor" "x")`, "runTimeFactor must be a number above 0"},
		"failures 0":           {`(dict ` + base + ` "runTimeLimitSeconds" 3600 "failureThreshold" 0)`, "failureThreshold must be a whole number of at least 1"},
		"failures fraction":    {`(dict ` + base + ` "runTimeLimitSeconds" 3600 "failureThreshold" 2.5)`, "failureThreshold must be a whole number of at least 1"},
		"defaults":             {`(dict ` + base + ` "runTimeLimitSeconds" 3600)`, ""},
		"every value":          {`(dict ` + base + ` "runTimeLimitSeconds" "1200" "runTimeFactor" 2.5 "failureThreshold" 5)`, ""},
		"whole factor as text": {`(dict ` + base + ` "runTimeLimitSeconds" 1200 "runTimeFactor" "4" "failureThreshold" "5")`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			call := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    {{- include \"batch-monitoring.workflowMetricsAnnotations\" " + c.args + " | nindent 4 }}\ndata:\n  block: |\n    {{- include \"batch-monitoring.workflowMetrics\" " + c.args + " | nindent 4 }}\n"
			res, err := chart.Render(chartDir, runStateValues(t), chart.Options{Templates: map[string]string{"zz-call.yaml": call}})
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %v, want one containing %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cm chart.Object
			for _, o := range res.Objects {
				if o.Kind == "ConfigMap" && o.Name == "x" {
					cm = o
				}
			}
			block := str(t, cm.Body, "data", "block")
			ann := cm.Body["metadata"].(map[string]any)["annotations"].(map[string]any)
			factor, limit, failures := "3", "3600", "3"
			if name != "defaults" {
				factor, limit, failures = "2.5", "1200", "5"
				if name == "whole factor as text" {
					factor = "4"
				}
				if ann[config.AnnotationRunTimeFactor] != factor || ann[config.AnnotationConsecutiveFailures] != failures {
					t.Errorf("annotations %v: want factor %s and failures %s for inject", ann, factor, failures)
				}
			} else if _, ok := ann[config.AnnotationRunTimeFactor]; ok {
				t.Errorf("annotations %v: no factor annotation without the argument", ann)
			}
			if ann[config.AnnotationMaxRunSeconds] != limit {
				t.Errorf("annotations %v: want %s %s", ann, config.AnnotationMaxRunSeconds, limit)
			}
			entries := map[string]string{}
			for _, e := range strings.Split(block, "- name: ")[1:] {
				name, rest, _ := strings.Cut(e, "\n")
				entries[name] = rest
			}
			for metric, v := range map[string]string{"run_time_factor": factor, "run_time_limit_seconds": limit, "consecutive_failures_threshold": failures} {
				if !regexp.MustCompile(`\n\s+value: "` + regexp.QuoteMeta(v) + `"(\n|$)`).MatchString(entries[metric]) {
					t.Errorf("block: %s is not %q:\n%s", metric, v, entries[metric])
				}
			}
		})
	}
}

// A CronWorkflow's own labels win over the chart's (no duplicate keys).
func TestCronWorkflowLabels(t *testing.T) {
	res := render(t, map[string]any{"cronWorkflows": map[string]any{"job": map[string]any{
		"stalenessThresholdSeconds": 90000,
		"labels":                    map[string]any{"app.kubernetes.io/component": "etl", "team": "data"},
		"spec":                      map[string]any{"schedule": "0 3 * * *", "workflowSpec": map[string]any{"entrypoint": "main"}},
	}}})
	cw := res.OfKind("CronWorkflow")
	if len(cw) != 1 {
		t.Fatalf("%d CronWorkflows", len(cw))
	}
	if c := str(t, cw[0].Body, "metadata", "labels", "app.kubernetes.io/component"); c != "etl" {
		t.Errorf("component label %q, want the CronWorkflow's own", c)
	}
	if m := str(t, cw[0].Body, "metadata", "labels", "app.kubernetes.io/managed-by"); m != "Helm" {
		t.Errorf("managed-by label %q", m)
	}
}

// The values route refuses what the injector refuses.
func TestCronWorkflowValuesErrors(t *testing.T) {
	spec := map[string]any{"schedule": "0 3 * * *", "workflowSpec": map[string]any{"entrypoint": "main"}}
	for name, c := range map[string]struct {
		entry map[string]any
		want  string
	}{
		"no threshold": {map[string]any{"spec": spec}, "stalenessThresholdSeconds is required"},
		"our metric name": {map[string]any{"stalenessThresholdSeconds": 90000, "spec": map[string]any{"workflowSpec": map[string]any{
			"metrics": map[string]any{"prometheus": []any{map[string]any{"name": "duration", "help": "x", "gauge": map[string]any{"value": "1"}}}}}}},
			`your metric "duration" uses a name the injected block manages`},
		"our annotation": {map[string]any{"stalenessThresholdSeconds": 90000, "spec": spec,
			"annotations": map[string]any{"argo-metrics-gen.io/staleness-threshold-seconds": "1"}}, "is written by the chart"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := chart.Render(chartDir, map[string]any{"cronWorkflows": map[string]any{"job": c.entry}}, chart.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
