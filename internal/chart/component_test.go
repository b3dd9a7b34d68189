package chart_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// argoManifests is Argo Workflows' own manifests directory, from the module this project
// already depends on (v3.7.18).
func argoManifests(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "manifests")
	if _, err := os.Stat(filepath.Join(dir, "namespace-install", "kustomization.yaml")); err != nil {
		t.Fatalf("Argo manifests not found: %v", err)
	}
	return dir
}

// TestKustomizeComponentOnUpstreamManifests builds Argo's upstream namespace-install with each
// generated component and checks the controller's pod template carries the chart's check on
// the container that exists.
func TestKustomizeComponentOnUpstreamManifests(t *testing.T) {
	manifests := argoManifests(t)
	repo, _ := filepath.Abs(filepath.Join("..", ".."))
	for _, c := range chart.Components {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			// Kustomize wants relative paths to other kustomization roots.
			rel := func(p string) string {
				r, err := filepath.Rel(dir, p)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			kustomization := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argo\n" +
				"resources:\n  - " + rel(filepath.Join(manifests, "namespace-install")) + "\n" +
				"components:\n  - " + rel(filepath.Join(repo, filepath.FromSlash(chart.ComponentsDir), c.Name)) + "\n"
			write(t, filepath.Join(dir, "kustomization.yaml"), kustomization)
			opts := krusty.MakeDefaultOptions()
			opts.LoadRestrictions = types.LoadRestrictionsNone
			m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.AsYaml()
			if err != nil {
				t.Fatal(err)
			}
			objs, err := chart.SplitManifest(string(out))
			if err != nil {
				t.Fatal(err)
			}
			var dep *chart.Object
			for i, o := range objs {
				if o.Kind == "Deployment" && o.Name == chart.UpstreamDeployment {
					dep = &objs[i]
				}
			}
			if dep == nil {
				t.Fatal("no workflow-controller Deployment in the build")
			}
			ann, err := chart.Path(dep.Body, "spec", "template", "metadata", "annotations")
			if err != nil {
				t.Fatalf("the component added no pod annotation: %v", err)
			}
			container := str(t, dep.Body, "spec", "template", "spec", "containers", 0, "name")
			key := "ad.datadoghq.com/" + container + ".checks"
			got, ok := ann.(map[string]any)[key].(string)
			if !ok {
				t.Fatalf("pod annotations %v lack %s (the container is %s)", ann, key, container)
			}
			// The same check the chart renders for the upstream flavour.
			vals := map[string]any{"controller": map[string]any{"flavour": "upstream", "metrics": map[string]any{"secure": c.Secure}}}
			want, err := chart.DatadogCheck(chartDir, vals)
			if err != nil {
				t.Fatal(err)
			}
			check, err := chart.ParseCheck(got)
			if err != nil {
				t.Fatal(err)
			}
			if check.Instance["openmetrics_endpoint"] != want.Instance["openmetrics_endpoint"] || len(check.Metrics) != len(want.Metrics) {
				t.Errorf("component check %v differs from the chart's %v", check.Instance, want.Instance)
			}
			scheme := map[bool]string{true: "https://", false: "http://"}[c.Secure]
			if !strings.HasPrefix(check.Instance["openmetrics_endpoint"].(string), scheme) {
				t.Errorf("endpoint %v, want %s", check.Instance["openmetrics_endpoint"], scheme)
			}
			// The rest of the Deployment is Argo's: only the annotation was added.
			var plain map[string]any
			_ = yaml.Unmarshal([]byte(dep.Text), &plain)
			if str(t, plain, "spec", "template", "spec", "containers", 0, "image") == "" {
				t.Error("the patch replaced the pod spec")
			}
		})
	}
}
