package routes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const (
	seed002       = "examples/kustomize-seed002"
	seed002Config = seed002 + "/argo/metrics/argo-metrics-gen.yaml"
)

var seed002Envs = []struct{ env, namespace, prefix string }{
	{"dev", "argo-dev", "dev-"},
	{"stg", "argo-stg", "stg-"},
	{"prd", "argo", ""},
}

var seed002Jobs = []string{"sample-daily-jobs", "sample-hourly-job"}

func kustomizeBuild(t *testing.T, dir string, flags ...string) result {
	t.Helper()
	return run(t, cmd{}, tools.kustomize, append(append([]string{"build"}, flags...), dir)...)
}

var execFlags = []string{"--enable-alpha-plugins", "--enable-exec"}

// TestKustomizeSeed002 builds each environment of the seed-002 layout with the real kustomize
// binary and the exec transformer: golden output, Argo's validation, lint with the repository's
// config, and the namespace/namePrefix interplay (namespace set above the transformer, namePrefix
// beside it: the static name label is the final name).
func TestKustomizeSeed002(t *testing.T) {
	need(t)
	for _, e := range seed002Envs {
		t.Run(e.env, func(t *testing.T) {
			r := kustomizeBuild(t, rootPath(seed002+"/argo/envs/"+e.env), execFlags...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("kustomize build: %s", r)
			}
			out := []byte(r.stdout)
			golden(t, seed002+"/golden/"+e.env+".yaml", out)
			validArgo(t, out, 3, "--config", rootPath(seed002Config))
			ds := docs(t, out)
			checkMetricLabels(t, ds, "cronworkflow")
			var names []string
			for _, cw := range ofKind(ds, "CronWorkflow") {
				names = append(names, str(cw, "metadata", "name"))
				if ns := str(cw, "metadata", "namespace"); ns != e.namespace {
					t.Errorf("CronWorkflow %s in namespace %q, want %q", str(cw, "metadata", "name"), ns, e.namespace)
				}
			}
			if want := e.prefix + seed002Jobs[0] + "," + e.prefix + seed002Jobs[1]; strings.Join(names, ",") != want {
				t.Errorf("CronWorkflows %v, want %s", names, want)
			}
			wt := ofKind(ds, "WorkflowTemplate")
			if len(wt) != 1 || str(wt[0], "metadata", "name") != "slack-notify" || str(wt[0], "metadata", "namespace") != e.namespace {
				t.Errorf("the shared WorkflowTemplate must keep its name (templateRefs) and take the namespace: %v", wt)
			}
			// `inject --check` with the same config agrees: nothing left to add.
			if c := run(t, cmd{stdin: out}, amg, "inject", "--check", "--config", rootPath(seed002Config)); c.code != 0 {
				t.Errorf("inject --check on the build: %s", c)
			}
		})
	}
}

// TestKustomizeSeed002JobOverlays builds every job overlay alone, as seed 002 deploys them
// (`kustomize build cron/<job>/overlays/<env> | kubectl apply -f -`).
func TestKustomizeSeed002JobOverlays(t *testing.T) {
	need(t)
	for _, job := range seed002Jobs {
		for _, e := range seed002Envs {
			t.Run(job+"/"+e.env, func(t *testing.T) {
				out := ok(t, cmd{}, tools.kustomize, append([]string{"build"}, append(execFlags, rootPath(seed002+"/argo/cron/"+job+"/overlays/"+e.env))...)...)
				ds := docs(t, []byte(out))
				checkMetricLabels(t, ds, "cronworkflow")
				if got := str(ds[0], "metadata", "name"); len(ds) != 1 || got != e.prefix+job {
					t.Errorf("got %d documents, name %q; want 1, %q", len(ds), got, e.prefix+job)
				}
				// The shared WorkflowTemplate comes from the cluster at run time; lint resolves the
				// templateRef from the templates directory given beside the build.
				if r := run(t, cmd{stdin: []byte(out)}, amg, "lint", "--config", rootPath(seed002Config), "-", rootPath(seed002+"/argo/templates")); r.code != 0 ||
					!strings.Contains(r.stdout, "2 Argo resources: 0 errors") {
					t.Errorf("lint: %s", r)
				}
			})
		}
	}
}

// TestKustomizeInProcess runs the same builds through krusty, the library behind `kustomize
// build`, on the on-disk tree with exec enabled: byte-identical to the binary's golden output.
func TestKustomizeInProcess(t *testing.T) {
	need(t)
	t.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, e := range seed002Envs {
		t.Run(e.env, func(t *testing.T) {
			out, err := krustyBuild(rootPath(seed002+"/argo/envs/"+e.env), true)
			if err != nil {
				t.Fatal(err)
			}
			if want := readFile(t, rootPath(seed002+"/golden/"+e.env+".yaml")); string(want) != string(out) {
				t.Errorf("krusty output differs from the kustomize binary's: %s", firstDiff(want, out))
			}
		})
	}
	// Exec disabled: krusty, like the binary with --enable-alpha-plugins alone, skips the function.
	out, err := krustyBuild(rootPath(seed002+"/argo/envs/prd"), false)
	if err != nil {
		t.Fatalf("krusty without exec: %v", err)
	}
	if strings.Contains(string(out), "managed-metrics") {
		t.Fatal("krusty ran the exec function with exec disabled")
	}
	if r := run(t, cmd{stdin: out}, amg, "inject", "--check", "--config", rootPath(seed002Config)); r.code != 1 || r.stdout != "<stdin>\n" {
		t.Errorf("inject --check must flag the skipped function: %s", r)
	}
}

func krustyBuild(dir string, exec bool) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy // what `kustomize build` does by default
	opts.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	opts.PluginConfig.FnpLoadingOptions.EnableExec = exec
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// TestKustomizeEnableExecTrap pins what the real kustomize v5 does when the flags are missing,
// and that CI catches the silent case: without any flag the build fails; with
// --enable-alpha-plugins alone it succeeds and the CronWorkflows ship without metrics, which
// `inject --check` and `lint` (with the same config) report.
func TestKustomizeEnableExecTrap(t *testing.T) {
	need(t)
	dir := rootPath(seed002 + "/argo/envs/prd")
	r := kustomizeBuild(t, dir)
	if r.code == 0 || !strings.Contains(r.stderr, "external plugins disabled") {
		t.Errorf("kustomize build without flags: %s", r)
	}
	r = kustomizeBuild(t, dir, "--enable-alpha-plugins")
	if r.code != 0 || strings.Contains(r.stdout, "managed-metrics") || !strings.Contains(r.stdout, "kind: CronWorkflow") {
		t.Fatalf("kustomize build --enable-alpha-plugins must succeed and skip the function silently: %s", r)
	}
	skipped := []byte(r.stdout)
	c := run(t, cmd{stdin: skipped}, amg, "inject", "--check", "--config", rootPath(seed002Config))
	if c.code != 1 || c.stdout != "<stdin>\n" {
		t.Errorf("inject --check: %s", c)
	}
	l := run(t, cmd{stdin: skipped}, amg, "lint", "--config", rootPath(seed002Config))
	if l.code != 1 || strings.Count(l.stdout, "does not carry the argo-metrics-gen metrics") != 2 {
		t.Errorf("lint: %s", l)
	}
}

// TestKustomizeNamePrefixAboveTransformer: a namePrefix added above the kustomization that lists
// the transformer (here exactly as Argo CD applies an Application's kustomize.namePrefix:
// `kustomize edit set nameprefix` in the source directory) leaves the static name label with
// the old name. lint reports it; piping the build through `inject` (the CMP route) repairs it.
// The same prefix also renames the shared WorkflowTemplate, which Kustomize does not follow into
// templateRefs: Argo's validation reports that, and no tool of ours can repair it.
func TestKustomizeNamePrefixAboveTransformer(t *testing.T) {
	need(t)
	tree := filepath.Join(t.TempDir(), "seed002")
	copyTree(t, rootPath(seed002), tree)
	env := filepath.Join(tree, "argo", "envs", "prd")
	ok(t, cmd{dir: env}, tools.kustomize, "edit", "set", "nameprefix", "team-")
	out := ok(t, cmd{}, tools.kustomize, append([]string{"build"}, append(execFlags, env)...)...)
	cfg := filepath.Join(tree, "argo", "metrics", "argo-metrics-gen.yaml")

	l := run(t, cmd{stdin: []byte(out)}, amg, "lint", "--config", cfg)
	for _, job := range seed002Jobs {
		if !strings.Contains(l.stdout, fmt.Sprintf("CronWorkflow argo/team-%s: error: carries argo-metrics-gen metrics that differ from the configuration", job)) {
			t.Errorf("lint must report the stale name label of team-%s:\n%s", job, l.stdout)
		}
	}
	if l.code != 1 {
		t.Errorf("lint: exit %d", l.code)
	}
	if n := strings.Count(l.stdout, "template reference slack-notify.slack-notify-template not found"); n != 2 {
		t.Errorf("lint must report the 2 broken templateRefs, found %d:\n%s", n, l.stdout)
	}
	fixed := ok(t, cmd{stdin: []byte(out)}, amg, "inject", "--config", cfg)
	checkMetricLabels(t, docs(t, []byte(fixed)), "cronworkflow")
	l = run(t, cmd{stdin: []byte(fixed)}, amg, "lint", "--config", cfg)
	if !strings.HasSuffix(l.stdout, "3 Argo resources: 2 errors, 3 warnings\n") || strings.Count(l.stdout, "[argo-validation]") != 2 {
		t.Errorf("after inject only the broken templateRefs remain:\n%s", l.stdout)
	}
}
