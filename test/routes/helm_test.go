package routes

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

const (
	prChart   = "examples/helm-postrenderer/chart"
	prConfig  = "examples/helm-postrenderer/metrics.yaml"
	prGolden  = "examples/helm-postrenderer/golden/"
	valsChart = "examples/helm-values/chart"
)

// sources lists the `# Source:` lines of a helm template output, in order.
func sources(out string) []string {
	var s []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# Source: ") {
			s = append(s, line)
		}
	}
	return s
}

// docsBySource maps each document of a helm output (bytes, "# Source:" line included) to its
// kind; documents are compared as text.
func docOfKind(t *testing.T, out, kind string) []string {
	t.Helper()
	var found []string
	for _, d := range splitStream(out) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		if m["kind"] == kind {
			found = append(found, d)
		}
	}
	return found
}

// TestHelm3PostRenderer runs the real helm v3 with argo-metrics-gen as --post-renderer, by path
// and by bare name on PATH, with and without --post-renderer-args for a config file.
func TestHelm3PostRenderer(t *testing.T) {
	need(t)
	chart := rootPath(prChart)
	plain := ok(t, cmd{}, tools.helm3, "template", "nightly", chart, "--namespace", "batch")
	if strings.Contains(plain, "managed-metrics") {
		t.Fatal("the chart itself must not carry metrics")
	}

	out := ok(t, cmd{}, tools.helm3, "template", "nightly", chart, "--namespace", "batch", "--post-renderer", amg)
	golden(t, prGolden+"helm3.yaml", []byte(out))
	validArgo(t, []byte(out), 3)
	checkMetricLabels(t, docs(t, []byte(out)), "cronworkflow")
	byName := ok(t, cmd{}, tools.helm3, "template", "nightly", chart, "--namespace", "batch", "--post-renderer", "argo-metrics-gen")
	if byName != out {
		t.Errorf("--post-renderer argo-metrics-gen (found on PATH) differs from the binary's path: %s", firstDiff([]byte(out), []byte(byName)))
	}
	// Helm 3 shows no hook to a post-renderer: the hook and every document that is not a
	// CronWorkflow come out exactly as without the post-renderer.
	for _, kind := range []string{"Job", "ConfigMap"} {
		if a, b := docOfKind(t, plain, kind), docOfKind(t, out, kind); !reflect.DeepEqual(a, b) || len(a) != 1 {
			t.Errorf("%s documents changed by the post-renderer:\n%q\n%q", kind, a, b)
		}
	}
	if !reflect.DeepEqual(sources(plain), sources(out)) {
		t.Errorf("# Source lines changed:\n%v\n%v", sources(plain), sources(out))
	}

	withConfig := ok(t, cmd{}, tools.helm3, "template", "nightly", chart, "--namespace", "batch",
		"--post-renderer", "argo-metrics-gen", "--post-renderer-args", "--config", "--post-renderer-args", rootPath(prConfig))
	golden(t, prGolden+"helm3-config.yaml", []byte(withConfig))
	validArgo(t, []byte(withConfig), 3, "--config", rootPath(prConfig))
	if n := strings.Count(withConfig, "- key: team\n"); n != 15 {
		t.Errorf("the config's static label must be on all 15 injected metrics, found %d", n)
	}

	// A failing post-renderer fails the render: a broken config path.
	r := run(t, cmd{}, tools.helm3, "template", "nightly", chart, "--post-renderer", "argo-metrics-gen",
		"--post-renderer-args", "--config", "--post-renderer-args", filepath.Join(t.TempDir(), "missing.yaml"))
	if r.code == 0 || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("a post-renderer error must fail helm template: %s", r)
	}

	if r := run(t, cmd{}, tools.helm3, "lint", chart); r.code != 0 {
		t.Errorf("helm lint: %s", r)
	}
}

// helm4Env installs the repository's Helm 4 plugin into fresh Helm homes and returns the
// environment every helm v4 call of the test uses.
func helm4Env(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		// HELM_DATA_HOME, not HELM_PLUGINS: Helm 4.3.2 installs a local plugin under
		// $HELM_DATA_HOME/plugins whatever HELM_PLUGINS says, but looks plugins up in HELM_PLUGINS.
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
	}
	out := ok(t, cmd{env: env}, tools.helm4, "plugin", "install", rootPath("integrations/helm-plugin"))
	if !strings.Contains(out, "Installed plugin: argo-metrics-gen") {
		t.Fatalf("helm plugin install: %s", out)
	}
	if target, err := os.Readlink(filepath.Join(home, "data", "plugins", "helm-plugin")); err != nil || target != rootPath("integrations/helm-plugin") {
		t.Fatalf("plugin not linked into HELM_DATA_HOME/plugins: %q %v", target, err)
	}
	return env
}

// TestHelm4Plugin installs integrations/helm-plugin with `helm plugin install` into temporary
// Helm homes and renders with `--post-renderer argo-metrics-gen` (the plugin's name): hooks are
// post-rendered too and must come back intact, and every document must keep Helm's
// postrender-filename annotation, or Helm files it under generated-by-postrender-N.yaml.
func TestHelm4Plugin(t *testing.T) {
	need(t)
	env := helm4Env(t)
	list := ok(t, cmd{env: env}, tools.helm4, "plugin", "list")
	if !strings.Contains(list, "argo-metrics-gen") || !strings.Contains(list, "postrenderer/v1") {
		t.Fatalf("helm plugin list:\n%s", list)
	}
	chart := rootPath(prChart)
	plain := ok(t, cmd{env: env}, tools.helm4, "template", "nightly", chart, "--namespace", "batch")
	out := ok(t, cmd{env: env}, tools.helm4, "template", "nightly", chart, "--namespace", "batch", "--post-renderer", "argo-metrics-gen")
	golden(t, prGolden+"helm4.yaml", []byte(out))
	validArgo(t, []byte(out), 3)
	checkMetricLabels(t, docs(t, []byte(out)), "cronworkflow")
	if !reflect.DeepEqual(sources(plain), sources(out)) || strings.Contains(out, "generated-by-postrender") || strings.Contains(out, "postrenderer.helm.sh") {
		t.Errorf("documents lost their file: # Source lines\n%v\nwithout post-renderer\n%v", sources(out), sources(plain))
	}
	// Helm 4 itself re-serializes what goes through post-rendering (kyaml: sequences re-indented),
	// so the hook is compared as an object here; TestHelm4PluginBytes checks our bytes.
	if a, b := docOfKind(t, plain, "Job"), docOfKind(t, out, "Job"); len(a) != 1 || len(b) != 1 || !reflect.DeepEqual(docs(t, []byte(a[0])), docs(t, []byte(b[0]))) {
		t.Errorf("the hook changed:\n%q\n%q", a, b)
	}

	withConfig := ok(t, cmd{env: env}, tools.helm4, "template", "nightly", chart, "--namespace", "batch",
		"--post-renderer", "argo-metrics-gen", "--post-renderer-args", "--config", "--post-renderer-args", rootPath(prConfig))
	golden(t, prGolden+"helm4-config.yaml", []byte(withConfig))
	validArgo(t, []byte(withConfig), 3, "--config", rootPath(prConfig))

	// Helm 4 renders objects through kyaml before and after the post-renderer, Helm 3 does not:
	// the text differs, the objects do not.
	h3 := readFile(t, rootPath(prGolden+"helm3-config.yaml"))
	if a, b := docs(t, h3), docs(t, []byte(withConfig)); !reflect.DeepEqual(a, b) {
		t.Error("helm v3 and v4 post-rendered objects differ")
	}

	// `helm install --dry-run=client` needs no cluster with Helm 4: same manifests and hooks.
	inst := ok(t, cmd{env: env}, tools.helm4, "install", "nightly", chart, "--namespace", "batch", "--dry-run=client",
		"--post-renderer", "argo-metrics-gen")
	hooks, manifest, found := strings.Cut(inst, "\nMANIFEST:\n")
	if !found || !strings.Contains(inst, "STATUS: pending-install") {
		t.Fatalf("helm install --dry-run=client:\n%s", inst)
	}
	for _, d := range docOfKind(t, out, "CronWorkflow") {
		if !strings.Contains(manifest, strings.TrimSpace(d)) {
			t.Errorf("install's manifest lacks the templated CronWorkflow:\n%s", d)
		}
	}
	if job := docOfKind(t, out, "Job"); len(job) != 1 || !strings.Contains(hooks, strings.TrimSpace(job[0])) {
		t.Errorf("install's hooks lack the hook Job")
	}

	// A failing post-renderer fails the render, but Helm 4.3.2 drops the plugin's stderr (it
	// only says the plugin "exited with error"): the docs tell to rerun the render piped into
	// argo-metrics-gen, which shows the message.
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	r := run(t, cmd{env: env}, tools.helm4, "template", "nightly", chart, "--post-renderer", "argo-metrics-gen",
		"--post-renderer-args", "--config", "--post-renderer-args", missing)
	if r.code == 0 || !strings.Contains(r.stderr, `plugin "argo-metrics-gen" exited with error`) {
		t.Errorf("a post-renderer error must fail helm template: %s", r)
	}
	p := run(t, cmd{stdin: []byte(plain)}, amg, "inject", "--config", missing)
	if p.code != 2 || !strings.Contains(p.stderr, "missing.yaml") {
		t.Errorf("the piped rerun must show the error: %s", p)
	}
}

// TestHelm4PluginBytes records what Helm 4 hands the post-renderer and what it gets back, through
// a spy plugin wrapping `argo-metrics-gen inject`: documents we do not change return byte for
// byte (hooks and postrender-filename annotations included), changed ones only gain lines.
func TestHelm4PluginBytes(t *testing.T) {
	need(t)
	env := helm4Env(t)
	spyDir := t.TempDir()
	plugin := filepath.Join(t.TempDir(), "spy")
	if err := os.MkdirAll(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/bash\nset -euo pipefail\ntee \"$SPY_DIR/in.yaml\" | argo-metrics-gen inject \"$@\" | tee \"$SPY_DIR/out.yaml\"\n"
	manifest := "apiVersion: v1\nname: spy\ntype: postrenderer/v1\nruntime: subprocess\nversion: 0.1.0\n" +
		"runtimeConfig:\n  platformCommand:\n    - command: ${HELM_PLUGIN_DIR}/spy.sh\n"
	if err := os.WriteFile(filepath.Join(plugin, "spy.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plugin, "plugin.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env, "SPY_DIR="+spyDir)
	ok(t, cmd{env: env}, tools.helm4, "plugin", "install", plugin)
	ok(t, cmd{env: env}, tools.helm4, "template", "nightly", rootPath(prChart), "--namespace", "batch",
		"--post-renderer", "spy", "--post-renderer-args", "--config", "--post-renderer-args", rootPath(prConfig))

	in, out := splitStream(string(readFile(t, filepath.Join(spyDir, "in.yaml")))), splitStream(string(readFile(t, filepath.Join(spyDir, "out.yaml"))))
	if len(in) != 5 || len(out) != len(in) {
		t.Fatalf("documents in %d, out %d; want 5 each", len(in), len(out))
	}
	for i := range in {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(in[i]), &m); err != nil {
			t.Fatal(err)
		}
		file := str(m, "metadata", "annotations", "postrenderer.helm.sh/postrender-filename")
		line := fmt.Sprintf("    postrenderer.helm.sh/postrender-filename: '%s'\n", file)
		if file == "" || !strings.Contains(in[i], line) || !strings.Contains(out[i], line) {
			t.Errorf("document %d: filename annotation %q not carried through byte for byte", i, file)
		}
		if m["kind"] != "CronWorkflow" {
			if in[i] != out[i] {
				t.Errorf("%v document changed:\n%s\n---\n%s", m["kind"], in[i], out[i])
			}
			continue
		}
		if in[i] == out[i] {
			t.Errorf("CronWorkflow %d unchanged", i)
		}
		if !isSubsequence(strings.SplitAfter(in[i], "\n"), strings.SplitAfter(out[i], "\n")) {
			t.Errorf("CronWorkflow %d: lines of the input were changed, not only added:\n%s\n---\n%s", i, in[i], out[i])
		}
	}
}

func isSubsequence(sub, seq []string) bool {
	j := 0
	for _, s := range seq {
		if j < len(sub) && sub[j] == s {
			j++
		}
	}
	return j == len(sub)
}

// TestHelmValuesRoute renders the chart that includes the generated named template (no
// post-renderer): up to date for `inject --check`, thresholds as `schedule` computes them, Argo
// valid, and the same CronWorkflows whether the template is copied or comes from
// charts/batch-monitoring as a file:// dependency.
func TestHelmValuesRoute(t *testing.T) {
	need(t)
	tpl := ok(t, cmd{}, amg, "helm-template")
	if got := string(readFile(t, rootPath(valsChart+"/templates/_workflow-metrics.tpl"))); got != tpl {
		t.Errorf("%s/templates/_workflow-metrics.tpl is stale: regenerate it with `argo-metrics-gen helm-template`", valsChart)
	}
	chart := rootPath(valsChart)
	out := ok(t, cmd{}, tools.helm3, "template", "jobs", chart, "--namespace", "batch")
	golden(t, "examples/helm-values/golden/helm3.yaml", []byte(out))
	validArgo(t, []byte(out), 3)
	ds := docs(t, []byte(out))
	checkMetricLabels(t, ds, "cronworkflow")
	if r := run(t, cmd{stdin: []byte(out)}, amg, "inject", "--check"); r.code != 0 {
		t.Errorf("inject --check must find the chart's CronWorkflows up to date: %s", r)
	}
	if same := ok(t, cmd{stdin: []byte(out)}, amg, "inject"); same != out {
		t.Errorf("inject changed the chart's output: %s", firstDiff([]byte(out), []byte(same)))
	}
	if r := run(t, cmd{}, tools.helm3, "lint", chart); r.code != 0 {
		t.Errorf("helm lint: %s", r)
	}
	out4 := ok(t, cmd{}, tools.helm4, "template", "jobs", chart, "--namespace", "batch")
	if !reflect.DeepEqual(docs(t, []byte(out4)), ds) {
		t.Error("helm v4 renders other objects than helm v3")
	}

	// The thresholds in values.yaml are what `argo-metrics-gen schedule` computes once the
	// annotation that pins them is removed.
	var values struct {
		Jobs map[string]struct {
			StalenessThresholdSeconds int `yaml:"stalenessThresholdSeconds"`
		}
	}
	if err := yaml.Unmarshal(readFile(t, filepath.Join(chart, "values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	var unpinned []string
	for _, d := range splitStream(out) {
		var kept []string
		for _, line := range strings.SplitAfter(d, "\n") {
			if !strings.Contains(line, "argo-metrics-gen.io/staleness-threshold-seconds:") {
				kept = append(kept, line)
			}
		}
		unpinned = append(unpinned, strings.Join(kept, ""))
	}
	var sched []struct {
		Name             string
		ThresholdSeconds int
	}
	if err := json.Unmarshal([]byte(ok(t, cmd{stdin: []byte(strings.Join(unpinned, "---\n"))}, amg, "schedule", "-o", "json")), &sched); err != nil {
		t.Fatal(err)
	}
	if len(sched) != len(values.Jobs) {
		t.Fatalf("schedule saw %d jobs, values have %d", len(sched), len(values.Jobs))
	}
	for _, s := range sched {
		if want := values.Jobs[s.Name].StalenessThresholdSeconds; want != s.ThresholdSeconds {
			t.Errorf("%s: values.yaml says stalenessThresholdSeconds %d, schedule computes %d", s.Name, want, s.ThresholdSeconds)
		}
	}

	// The alternative: charts/batch-monitoring as a file:// dependency instead of the copy.
	dep := filepath.Join(t.TempDir(), "batch-jobs")
	copyTree(t, chart, dep)
	if err := os.Remove(filepath.Join(dep, "templates", "_workflow-metrics.tpl")); err != nil {
		t.Fatal(err)
	}
	chartYAML := string(readFile(t, filepath.Join(dep, "Chart.yaml"))) +
		"dependencies:\n  - name: batch-monitoring\n    version: 0.1.0\n    repository: file://" + rootPath("charts/batch-monitoring") + "\n"
	if err := os.WriteFile(filepath.Join(dep, "Chart.yaml"), []byte(chartYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, cmd{dir: dep}, tools.helm3, "dependency", "build")
	viaDep := ok(t, cmd{}, tools.helm3, "template", "jobs", dep, "--namespace", "batch")
	a, b := docOfKind(t, out, "CronWorkflow"), docOfKind(t, viaDep, "CronWorkflow")
	if len(a) != 3 || !slices.Equal(a, b) {
		t.Errorf("CronWorkflows differ between the copied template and the file:// dependency:\n%v\n%v", a, b)
	}
}
