package chart_test

// The chart reads the ArgoMetricsConfig from its values (argoMetricsConfig). These tests run
// every configuration of pkg/config/testdata/cases.yaml through the chart, as a values file, and
// through argo-metrics-gen's loader reading the same file: the chart must refuse exactly what
// the loader refuses (values.schema.json, or the chart's own checks with the loader's message),
// and complete what it accepts to the same configuration.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

type configCase struct {
	Name     string `yaml:"name"`
	Doc      string `yaml:"doc"`
	WantErr  string `yaml:"wantErr"`
	Semantic bool   `yaml:"semantic"`
}

func configCases(t *testing.T) []configCase {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "pkg", "config", "testdata", "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []configCase
	if err := yaml.Unmarshal(raw, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// asValues is a values file holding doc as argoMetricsConfig.
func asValues(doc string) string {
	return "argoMetricsConfig:\n  " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n  ") + "\n"
}

const configProbe = "zz-config-probe.yaml"

var configProbeTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: config-probe
data:
  config: {{ include "batch-monitoring.config" (dict "config" .Values.argoMetricsConfig "path" "argoMetricsConfig.") | quote }}
`

func TestConfigRefusalsMatchLoader(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range configCases(t) {
		if tc.Name == "two documents" || tc.Name == "not yaml" {
			continue // not one object: nothing to put in a values file
		}
		// Helm reads a values file with a duplicate key, the last one winning: the chart never
		// sees the duplicate, which the loader (reading the same file) refuses.
		yamlOnly := strings.Contains(tc.WantErr, ": duplicate ")
		t.Run(tc.Name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.Name, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte(asValues(tc.Doc)), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, loadErr := config.LoadFile(file)
			vals, err := chart.ValuesFile(file)
			var res *chart.Result
			if err == nil {
				res, err = chart.Render(chartDir, vals, chart.Options{Templates: map[string]string{configProbe: configProbeTemplate}})
			}
			switch {
			case loadErr == nil && err != nil:
				t.Fatalf("the loader accepts the values file, the chart refuses it: %v", err)
			case loadErr != nil && err == nil && yamlOnly:
				return
			case loadErr != nil && err == nil:
				t.Fatalf("the loader refuses the values file (%v), the chart renders it", loadErr)
			case loadErr != nil:
				// A rule the schema cannot state: the chart's message is the loader's.
				if tc.Semantic && !strings.Contains(err.Error(), strings.SplitN(loadErr.Error(), ": ", 2)[1]) {
					t.Errorf("chart: %v\nloader: %v", err, loadErr)
				}
				return
			}
			// Accepted by both: the same completed configuration.
			var got map[string]any
			for _, o := range res.Objects {
				if strings.HasSuffix(o.Source, "/"+configProbe) {
					if err := json.Unmarshal([]byte(str(t, o.Body, "data", "config")), &got); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := completed(t, cfg)
			b1, _ := json.Marshal(got)
			b2, _ := json.Marshal(want)
			if string(b1) != string(b2) {
				t.Errorf("the chart completes the configuration to\n%s\nthe loader to\n%s", b1, b2)
			}
		})
	}
}

// completed is the part of a loaded configuration the chart reads, in the form of the template
// batch-monitoring.config.
func completed(t *testing.T, c *config.Config) map[string]any {
	metrics := map[string]any{}
	for _, key := range helmtpl.Keys {
		m := helmtpl.Metric(c, key)
		metrics[key] = map[string]any{"enabled": *m.Enabled, "name": m.Name, "help": m.Help}
	}
	static := map[string]any{}
	for k, v := range c.Spec.Labels.Static {
		static[k] = v
	}
	from := map[string]any{}
	for k, v := range c.Spec.Labels.FromResource {
		from[k] = map[string]any{"label": v.Label, "default": v.Default}
	}
	out := map[string]any{
		"metrics":             metrics,
		"labels":              map[string]any{"namespace": c.Spec.Labels.Namespace, "name": c.Spec.Labels.Name, "static": static, "fromResource": from},
		"runTime":             map[string]any{"factor": *c.Spec.RunTime.Factor},
		"consecutiveFailures": map[string]any{"threshold": *c.Spec.ConsecutiveFailures.Threshold},
		"staleness":           map[string]any{"expectedDurationSeconds": *c.Spec.Staleness.ExpectedDurationSeconds},
	}
	// Through JSON, as the template's output is read: numbers become float64.
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The chart's recipe (batch-monitoring.recipe, which its alerts, check and dashboards read) is
// the injector's (helmtpl.BuildRecipe of the loaded configuration), for every valid case.
func TestChartRecipeIsInjectors(t *testing.T) {
	for _, tc := range configCases(t) {
		if tc.WantErr != "" {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.Doc))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(tc.Doc), &doc); err != nil {
				t.Fatal(err)
			}
			got, err := chart.Recipe(chartDir, map[string]any{"argoMetricsConfig": doc})
			if err != nil {
				t.Fatal(err)
			}
			b1, _ := json.Marshal(got)
			b2, _ := json.Marshal(helmtpl.BuildRecipe(cfg))
			if string(b1) != string(b2) {
				t.Errorf("chart recipe\n%s\ninjector's\n%s", b1, b2)
			}
		})
	}
}
