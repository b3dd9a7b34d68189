package helmtpl_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

func TestRecipeFollowsConfig(t *testing.T) {
	rc := helmtpl.BuildRecipe(config.Default())
	if rc.ManagedMetrics != "exit_code,duration,last_success_timestamp,staleness_threshold_seconds" || !rc.StalenessThreshold {
		t.Errorf("default recipe: %+v", rc)
	}
	if strings.Join(rc.LabelKeys, ",") != "namespace,cronworkflow" || rc.NamespaceLabel != "namespace" || rc.NameLabel != "cronworkflow" {
		t.Errorf("default label keys: %+v", rc)
	}
	cfg, err := config.Parse([]byte(`apiVersion: argo-metrics-gen.io/v1alpha1
kind: ArgoMetricsConfig
spec:
  metrics:
    duration: {enabled: false}
    stalenessThreshold: {name: max_gap_seconds}
  labels: {name: job, static: {tier: gold, team: data}}
`))
	if err != nil {
		t.Fatal(err)
	}
	rc = helmtpl.BuildRecipe(cfg)
	if rc.Metrics["duration"] != "" || rc.Metrics["stalenessThreshold"] != "max_gap_seconds" {
		t.Errorf("metrics %v", rc.Metrics)
	}
	if strings.Join(rc.LabelKeys, ",") != "namespace,job,team,tier" {
		t.Errorf("label keys %v: static keys follow, sorted, as the recipe writes them", rc.LabelKeys)
	}
	if rc.ManagedMetrics != "exit_code,last_success_timestamp,max_gap_seconds" {
		t.Errorf("managed %q", rc.ManagedMetrics)
	}
}

func TestRenderEscapesArgoExpressions(t *testing.T) {
	out, err := helmtpl.Render(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	// Outside Helm actions no "{{" may remain: every Argo expression is wrapped so Helm prints it.
	for _, want := range []string{"{{`{{workflow.namespace}}`}}", "{{`" + strings.Trim(jsonString(recipe.WhenSucceeded), `"`) + "`}}", "{{`{{workflow.duration}}`}}", "{{`{{workflow.creationTimestamp.s}}`}}"} {
		if !strings.Contains(text, want) {
			t.Errorf("generated template lacks %s", want)
		}
	}
	if strings.Contains(text, `"{{workflow.`) || strings.Contains(text, "BMGENSENTINEL") || strings.Contains(text, "918273645546372819") {
		t.Error("generated template leaks an unescaped Argo expression or a sentinel")
	}
	// A help string with braces and backquotes is escaped too.
	cfg := config.Default()
	cfg.Spec.Metrics.Duration.Help = "took {{ `long` }} {{x}}"
	out, err = helmtpl.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "help: \"took {{ \"{{\" }} `long` }} {{`{{x}}`}}\"") {
		t.Errorf("help not escaped:\n%s", out)
	}
}

func TestRenderRefusesSentinels(t *testing.T) {
	cfg := config.Default()
	cfg.Spec.Labels.Static = map[string]string{"team": "BMGENSENTINELNAME"}
	if _, err := helmtpl.Render(cfg); err == nil {
		t.Error("a configuration containing a generator sentinel must be refused")
	}
}

func TestRenderWithoutStaleness(t *testing.T) {
	cfg := config.Default()
	off := false
	cfg.Spec.Metrics.StalenessThreshold.Enabled = &off
	out, err := helmtpl.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "stalenessThresholdSeconds") || strings.Contains(string(out), "staleness_threshold_seconds") {
		t.Error("with the threshold gauge off, the template must neither emit it nor require its value")
	}
}

// The subcommand writes exactly what Render makes of the configuration it is given.
func TestHelmTemplateCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := cli.Run([]string{"helm-template"}, cli.Env{Stdout: &stdout, Stderr: &stderr}); code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want, _ := helmtpl.Render(config.Default())
	if stdout.String() != string(want) {
		t.Error("helm-template output differs from helmtpl.Render(defaults)")
	}

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "metrics.yaml")
	cfgText := "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec:\n  labels: {static: {team: data}}\n"
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := cli.Run([]string{"helm-template", "--config", cfgFile}, cli.Env{Stdout: &stdout, Stderr: &stderr}); code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	cfg, _ := config.Parse([]byte(cfgText))
	want, _ = helmtpl.Render(cfg)
	if stdout.String() != string(want) || !strings.Contains(stdout.String(), `(index $job.static "team")`) {
		t.Error("helm-template --config output differs from helmtpl.Render(config)")
	}

	for _, args := range [][]string{{"helm-template", "--config", filepath.Join(dir, "missing.yaml")}, {"helm-template", "extra"}, {"helm-template", "--bogus"}} {
		stdout.Reset()
		stderr.Reset()
		if code := cli.Run(args, cli.Env{Stdout: &stdout, Stderr: &stderr}); code != cli.ExitError || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q; want exit 2 and no output", args, code, stdout.String())
		}
	}
}

// jsonString is how the template writes a double-quoted YAML scalar (JSON escapes).
func jsonString(v string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// Every run-state gauge renders; the per-job values of the threshold gauges become template
// arguments (internal/chart TestRunStateTemplateArguments and TestNamedTemplateIsInjectOutput
// render them through Helm).
func TestRenderRunState(t *testing.T) {
	cfg, err := config.LoadFile("../../examples/run-state/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := helmtpl.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: current_run_seconds", "realtime: true", "name: consecutive_failures", "operation: Add",
		`value: {{ include "batch-monitoring.yamlScalar" $job.factor }}`,
		`value: {{ include "batch-monitoring.yamlScalar" (toString (int64 $job.runTimeLimit)) }}`,
		`value: {{ include "batch-monitoring.yamlScalar" (toString (int64 $job.failureThreshold)) }}`,
		`"runTimeLimitSeconds" <seconds>`, "argo-metrics-gen.io/max-run-seconds: "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rendered template lacks %q", want)
		}
	}
	rc := helmtpl.BuildRecipe(cfg)
	for key, name := range map[string]string{"currentRun": "current_run_seconds", "runTimeFactor": "run_time_factor", "runTimeLimit": "run_time_limit_seconds",
		"consecutiveFailures": "consecutive_failures", "failureThreshold": "consecutive_failures_threshold"} {
		if rc.Metrics[key] != name {
			t.Errorf("recipe metric %s = %q, want %q (the chart's alerts look them up)", key, rc.Metrics[key], name)
		}
	}
	if strings.Contains(string(out), "918273645") {
		t.Error("a sentinel is left in the template")
	}
}
