package routes

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

type workflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name  string            `yaml:"name"`
			Uses  string            `yaml:"uses"`
			With  map[string]string `yaml:"with"`
			Shell string            `yaml:"shell"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestGitHubActionsWorkflow runs examples/ci/github-actions.yaml's steps as a runner would
// (`bash --noprofile --norc -eo pipefail` for `shell: bash`, RUNNER_TEMP and GITHUB_PATH), on a
// copy of the repository: the tools are really built (at the versions make routes builds),
// then the checks pass. Checkout and setup-go are the runner's own actions: the Go version they
// ask for must be go.mod's.
func TestGitHubActionsWorkflow(t *testing.T) {
	need(t)
	var wf workflow
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, rootPath("examples/ci/github-actions.yaml")))))
	dec.KnownFields(true)
	if err := dec.Decode(&wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request"]; !ok || len(wf.Jobs) != 1 {
		t.Fatalf("workflow: %+v", wf)
	}
	goMod := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(readFile(t, rootPath("go.mod"))))
	repo := repoCopy(t)
	if err := os.Remove(filepath.Join(repo, "bin", "argo-metrics-gen")); err != nil { // the workflow builds it
		t.Fatal(err)
	}
	runnerTemp := t.TempDir()
	githubPath := filepath.Join(t.TempDir(), "github_path")
	var extraPath []string
	for _, job := range wf.Jobs {
		ran := 0
		for _, step := range job.Steps {
			switch {
			case step.Uses == "actions/checkout@v4":
			case step.Uses == "actions/setup-go@v5":
				if step.With["go-version"] != goMod[1] {
					t.Errorf("setup-go asks for Go %q, go.mod says %s", step.With["go-version"], goMod[1])
				}
			case step.Run != "":
				if step.Shell != "bash" {
					t.Errorf("step %q: shell %q; bash gives -eo pipefail", step.Name, step.Shell)
				}
				if err := os.WriteFile(githubPath, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				c := cmd{dir: repo, path: extraPath, env: []string{"RUNNER_TEMP=" + runnerTemp, "GITHUB_PATH=" + githubPath, "CI=true"}}
				r := run(t, c, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.Run)
				if r.code != 0 {
					t.Fatalf("step %q: %s", step.Name, r)
				}
				for _, p := range strings.Fields(string(readFile(t, githubPath))) {
					extraPath = append([]string{p}, extraPath...)
				}
				ran++
			default:
				t.Errorf("step %q: unexpected action %q", step.Name, step.Uses)
			}
		}
		if ran != 2 {
			t.Errorf("%d run steps, want 2", ran)
		}
	}
	// The workflow's tools are the versions the tests use.
	for _, name := range []string{"kustomize", "helm"} {
		args := []string{"version"}
		want := tools.kustomizeVersion
		if name == "helm" {
			args, want = append(args, "--short"), tools.helm3Version
		}
		if got := ok(t, cmd{}, filepath.Join(runnerTemp, "tools", name), args...); !strings.HasPrefix(got, want) {
			t.Errorf("the workflow installs %s %q, the tests run %s", name, got, want)
		}
	}
}

// TestCIScript runs examples/ci/ci.sh as a generic CI job would, on a copy of the repository:
// it passes as shipped, and fails (exit 1, naming the problem) when a job overlay loses its
// transformer, when a committed manifest lacks the metrics, or when a chart's CronWorkflow
// loses the block.
func TestCIScript(t *testing.T) {
	need(t)
	script := func(t *testing.T, repo string) result {
		return run(t, cmd{dir: repo, path: []string{tools.pathHelm3}}, "examples/ci/ci.sh")
	}
	repo := repoCopy(t)
	if r := script(t, repo); r.code != 0 || r.stderr != "" {
		t.Fatalf("ci.sh on the repository: %s", r)
	}

	edit := func(t *testing.T, repo, rel, old, new string) {
		t.Helper()
		path := filepath.Join(repo, rel)
		s := string(readFile(t, path))
		if !strings.Contains(s, old) {
			t.Fatalf("%s has no %q", rel, old)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(s, old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]struct {
		rel, old, new, want string
	}{
		"transformer removed": {
			seed002 + "/argo/cron/sample-daily-jobs/overlays/stg/kustomization.yaml", "transformers:\n  - ../../../../metrics\n", "",
			"CronWorkflow argo-stg/stg-sample-daily-jobs: error: does not carry the argo-metrics-gen metrics",
		},
		"committed manifest without metrics": {
			plain + "/golden/manifests/jobs/nightly-report.yaml", "# Nightly report", string(readFile(t, rootPath("examples/quickstart/cronworkflow.yaml"))) + "---\n# Nightly report",
			"examples/plain/golden/manifests/jobs/nightly-report.yaml\n",
		},
		"values-route block dropped": {
			valsChart + "/templates/cronworkflows.yaml", `{{- include "batch-monitoring.workflowMetrics" $metrics | nindent 4 }}`, "",
			"CronWorkflow weekday-export: error: does not carry the argo-metrics-gen metrics",
		},
	} {
		t.Run(name, func(t *testing.T) {
			repo := repoCopy(t)
			edit(t, repo, c.rel, c.old, c.new)
			r := script(t, repo)
			if r.code != 1 || !strings.Contains(r.stdout, c.want) {
				t.Errorf("want exit 1 and %q: %s", c.want, r)
			}
		})
	}
}
