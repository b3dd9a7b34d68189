package routes

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const (
	teamRouting       = "examples/team-routing"
	teamRoutingValues = teamRouting + "/values.yaml"
)

// TestTeamRoutingKustomize: the example's one file configures the KRM function (exec args
// `--config ../values.yaml`): the real kustomize runs it above the overlays that set `team`
// (labels and commonLabels), and each job's metrics carry its team, a job without one the
// default; lint with the same file as the chart's values finds nothing; the pipe route with the
// same file gives the same objects. A function run below the kustomization that sets the label
// does not see it: the README says so, and this pins it.
func TestTeamRoutingKustomize(t *testing.T) {
	need(t)
	r := kustomizeBuild(t, rootPath(teamRouting+"/jobs"), execFlags...)
	if r.code != 0 || strings.TrimSpace(strings.ReplaceAll(r.stderr, "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically.", "")) != "" {
		t.Fatalf("kustomize build: %s", r)
	}
	out := []byte(r.stdout)
	golden(t, teamRouting+"/golden/jobs.yaml", out)
	validArgo(t, out, 3, "--chart-values", rootPath(teamRoutingValues))
	want := map[string]string{"settlement": "payments", "export": "data", "cleanup": "unowned"}
	if got := teams(t, docs(t, out)); !reflect.DeepEqual(got, want) {
		t.Errorf("teams in the metrics %v, want %v", got, want)
	}

	// The pipe route with the same file: the same objects.
	raw := kustomizeBuild(t, rootPath(teamRouting+"/jobs"), "--enable-alpha-plugins") // the trap: the function skipped
	piped := ok(t, cmd{stdin: []byte(raw.stdout)}, amg, "inject", "--config", rootPath(teamRoutingValues))
	if !reflect.DeepEqual(docs(t, []byte(piped)), docs(t, out)) {
		t.Errorf("inject --config <values file> differs from the KRM function given the same file")
	}

	// Below the label: the function runs in payments/, the label is set above it.
	dir := filepath.Join(t.TempDir(), "team-routing")
	copyTree(t, rootPath(teamRouting), dir)
	write := func(rel, text string) {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("jobs/payments/kustomization.yaml", "resources: [settlement.yaml]\ntransformers: [argo-metrics-gen.yaml]\n")
	write("jobs/payments/argo-metrics-gen.yaml", strings.Replace(string(readFile(t, filepath.Join(dir, "jobs", "argo-metrics-gen.yaml"))), "../values.yaml", "../../values.yaml", 1))
	write("jobs/kustomization.yaml", "resources: [payments]\nlabels:\n  - pairs: {team: payments}\n")
	r = kustomizeBuild(t, filepath.Join(dir, "jobs"), execFlags...)
	if r.code != 0 {
		t.Fatalf("kustomize build: %s", r)
	}
	if got := teams(t, docs(t, []byte(r.stdout))); got["settlement"] != "unowned" {
		t.Errorf("a function below the label saw team=%q: the README's advice (run it at or above the label) would be wrong", got["settlement"])
	}
}

// teams returns each CronWorkflow's team label value in its metrics (all of them agree).
func teams(t *testing.T, ds []map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, cw := range ofKind(ds, "CronWorkflow") {
		name := str(cw, "metadata", "name")
		prom, _ := get(cw, "spec", "workflowSpec", "metrics", "prometheus").([]any)
		for _, m := range prom {
			for _, l := range get(m, "labels").([]any) {
				if str(l, "key") == "team" {
					if prev, seen := out[name]; seen && prev != str(l, "value") {
						t.Errorf("%s: metric %s says team=%s, another %s", name, str(m, "name"), str(l, "value"), prev)
					}
					out[name] = str(l, "value")
				}
			}
		}
	}
	return out
}

// TestPackagedChart: the chart as users get it. `helm package` (Helm v3 and v4) writes
// batch-monitoring-<VERSION>.tgz whose appVersion is the binary's version (`make build` of the
// same tree); `helm lint --strict` and `helm template` of the archive pass with every
// ci/*-values.yaml scenario and with the team-routing example's values, whose alerts group by
// team and whose monitors notify per team.
func TestPackagedChart(t *testing.T) {
	need(t)
	version := strings.TrimSpace(string(readFile(t, rootPath("VERSION"))))
	bin := filepath.Join(t.TempDir(), "argo-metrics-gen")
	ok(t, cmd{dir: root}, "make", "-s", "build", "BIN="+bin)
	binVersion := strings.TrimSpace(strings.TrimPrefix(ok(t, cmd{}, bin, "version"), "argo-metrics-gen "))
	scenarios, err := filepath.Glob(rootPath("charts/batch-monitoring/ci/*-values.yaml"))
	if err != nil || len(scenarios) < 9 {
		t.Fatalf("scenarios %v (%v)", scenarios, err)
	}
	for _, helm := range []struct{ name, path string }{{"helm3", tools.helm3}, {"helm4", tools.helm4}} {
		t.Run(helm.name, func(t *testing.T) {
			dest := t.TempDir()
			ok(t, cmd{}, helm.path, "package", rootPath("charts/batch-monitoring"), "--destination", dest)
			tgz := filepath.Join(dest, "batch-monitoring-"+version+".tgz")
			show := ok(t, cmd{}, helm.path, "show", "chart", tgz)
			if !strings.Contains(show, "\nversion: "+version+"\n") || !strings.Contains(show, "appVersion: "+binVersion+"\n") {
				t.Errorf("packaged Chart.yaml:\n%s\nwant version %s and appVersion %s (the binary's)", show, version, binVersion)
			}
			apis := []string{"--api-versions", "datadoghq.com/v1alpha1/DatadogMonitor", "--api-versions", "monitoring.coreos.com/v1/PrometheusRule"}
			for _, values := range append(scenarios, rootPath(teamRoutingValues)) {
				name := filepath.Base(values)
				ok(t, cmd{}, helm.path, "lint", "--strict", tgz, "-f", values, "--namespace", "monitoring")
				out := ok(t, cmd{}, helm.path, append([]string{"template", "bm", tgz, "-f", values, "--namespace", "monitoring"}, apis...)...)
				if len(docs(t, []byte(out))) == 0 {
					t.Errorf("%s: nothing rendered", name)
				}
				if values != rootPath(teamRoutingValues) {
					continue
				}
				ds := docs(t, []byte(out))
				rules := ofKind(ds, "PrometheusRule")
				if len(rules) != 1 || !regexp.MustCompile(`max by \(namespace, cronworkflow, team\)`).MatchString(out) {
					t.Errorf("%s: the recording rules do not keep team", name)
				}
				for _, a := range []string{"ArgoCronWorkflowRunningTooLong", "ArgoCronWorkflowConsecutiveFailures"} {
					if !strings.Contains(out, "alert: "+a) {
						t.Errorf("%s: no %s alert", name, a)
					}
				}
				monitors := ofKind(ds, "DatadogMonitor")
				for _, m := range monitors {
					msg := str(m, "spec", "message")
					if q := str(m, "spec", "query"); !strings.Contains(q, "is_leader") && (!strings.Contains(q, "by {namespace,cronworkflow,team}") || !strings.Contains(msg, `{{#is_exact_match "team.name" "payments"}}@slack-payments{{/is_exact_match}}`)) {
						t.Errorf("%s: monitor %s does not group or notify by team:\n%s\n%s", name, str(m, "metadata", "name"), q, msg)
					}
				}
				if len(monitors) != 6 {
					t.Errorf("%s: %d monitors, want 6", name, len(monitors))
				}
			}
		})
	}
}
