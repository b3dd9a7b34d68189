package routes

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

const (
	cmpPluginFile = "integrations/argocd-cmp/plugin.yaml"
	argocdApps    = "examples/argocd/apps"
	argocdGolden  = "examples/argocd/golden/"
	argocdCM      = "examples/argocd/argocd-cm-kustomize-buildoptions.yaml"
	// A commit id as Argo CD passes it; nothing in the output may depend on it.
	appRevision = "0123456789abcdef0123456789abcdef01234567"
)

type command struct {
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
}

type cmpPlugin struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Version  string         `yaml:"version"`
		Init     *command       `yaml:"init"`
		Generate command        `yaml:"generate"`
		Discover map[string]any `yaml:"discover"`
	} `yaml:"spec"`
}

type application struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Source struct {
			RepoURL        string `yaml:"repoURL"`
			TargetRevision string `yaml:"targetRevision"`
			Path           string `yaml:"path"`
			Plugin         *struct {
				Name string `yaml:"name"`
				Env  []struct {
					Name  string `yaml:"name"`
					Value string `yaml:"value"`
				} `yaml:"env"`
			} `yaml:"plugin"`
			Helm *struct {
				ReleaseName string   `yaml:"releaseName"`
				ValueFiles  []string `yaml:"valueFiles"`
			} `yaml:"helm"`
		} `yaml:"source"`
		Destination struct {
			Namespace string `yaml:"namespace"`
		} `yaml:"destination"`
	} `yaml:"spec"`
}

func loadPlugin(t *testing.T) cmpPlugin {
	t.Helper()
	var p cmpPlugin
	dec := yaml.NewDecoder(strings.NewReader(string(readFile(t, rootPath(cmpPluginFile)))))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", cmpPluginFile, err)
	}
	if p.APIVersion != "argoproj.io/v1alpha1" || p.Kind != "ConfigManagementPlugin" || p.Metadata.Name != "argo-metrics-gen" {
		t.Fatalf("%s is not the argo-metrics-gen ConfigManagementPlugin: %+v", cmpPluginFile, p)
	}
	if len(p.Spec.Generate.Command) == 0 {
		t.Fatal("no generate command")
	}
	return p
}

func loadApps(t *testing.T) map[string]application {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(rootPath(argocdApps), "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Applications in %s: %v", argocdApps, err)
	}
	apps := map[string]application{}
	for _, f := range files {
		var a application
		if err := yaml.Unmarshal(readFile(t, f), &a); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if a.Kind != "Application" || a.Metadata.Name == "" || a.Spec.Source.Path == "" || a.Spec.Destination.Namespace == "" {
			t.Fatalf("%s: not an Application with a source path and a destination namespace", f)
		}
		apps[a.Metadata.Name] = a
	}
	return apps
}

// cmpEnv is the environment Argo CD gives a plugin's commands: the build environment and the
// Application's plugin env, prefixed with ARGOCD_ENV_.
func cmpEnv(a application) []string {
	env := []string{
		"ARGOCD_APP_NAME=" + a.Metadata.Name,
		"ARGOCD_APP_NAMESPACE=" + a.Spec.Destination.Namespace,
		"ARGOCD_APP_REVISION=" + appRevision,
		"ARGOCD_APP_SOURCE_PATH=" + a.Spec.Source.Path,
		"ARGOCD_APP_SOURCE_REPO_URL=" + a.Spec.Source.RepoURL,
		"ARGOCD_APP_SOURCE_TARGET_REVISION=" + a.Spec.Source.TargetRevision,
		"KUBE_VERSION=1.33.0",
		"KUBE_API_VERSIONS=v1,apps/v1,batch/v1,argoproj.io/v1alpha1",
	}
	if a.Spec.Source.Plugin != nil {
		for _, e := range a.Spec.Source.Plugin.Env {
			env = append(env, "ARGOCD_ENV_"+e.Name+"="+e.Value)
		}
	}
	return env
}

// runPlugin runs the plugin's init and generate commands exactly as plugin.yaml writes them, in
// the Application's source directory, with toolPath's kustomize, helm and argo-metrics-gen.
func runPlugin(t *testing.T, p cmpPlugin, dir string, env []string, toolPath string) result {
	t.Helper()
	c := cmd{dir: dir, env: env, path: []string{toolPath}}
	if p.Spec.Init != nil {
		argv := append(append([]string{}, p.Spec.Init.Command...), p.Spec.Init.Args...)
		if r := run(t, c, argv[0], argv[1:]...); r.code != 0 {
			return r
		}
	}
	argv := append(append([]string{}, p.Spec.Generate.Command...), p.Spec.Generate.Args...)
	return run(t, c, argv[0], argv[1:]...)
}

// render produces an Application's manifests the way Argo CD's repo-server would: through the
// plugin when the source names one; otherwise with its own Kustomize (and the buildOptions of
// argocd-cm: `kustomize build <path> <options>`) or its own Helm (4, as Argo CD >= 3.5 bundles:
// `helm template . --name-template <release> --namespace <ns> --include-crds`).
func render(t *testing.T, repo string, a application, helmPath string) []byte {
	t.Helper()
	dir := filepath.Join(repo, filepath.FromSlash(a.Spec.Source.Path))
	src := a.Spec.Source
	switch {
	case src.Plugin != nil:
		p := loadPlugin(t)
		if src.Plugin.Name != p.Metadata.Name {
			t.Fatalf("Application %s names plugin %q, the plugin is %q", a.Metadata.Name, src.Plugin.Name, p.Metadata.Name)
		}
		r := runPlugin(t, p, dir, cmpEnv(a), helmPath)
		if r.code != 0 {
			t.Fatalf("plugin generate for %s: %s", a.Metadata.Name, r)
		}
		return []byte(r.stdout)
	case src.Helm != nil:
		release := src.Helm.ReleaseName
		if release == "" {
			release = a.Metadata.Name
		}
		args := []string{"template", ".", "--name-template", release, "--namespace", a.Spec.Destination.Namespace, "--include-crds"}
		for _, v := range src.Helm.ValueFiles {
			args = append(args, "--values", v)
		}
		return []byte(ok(t, cmd{dir: dir}, tools.helm4, args...))
	default:
		var cm struct {
			Data map[string]string `yaml:"data"`
		}
		if err := yaml.Unmarshal(readFile(t, rootPath(argocdCM)), &cm); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"build", dir}, strings.Fields(cm.Data["kustomize.buildOptions"])...)
		return []byte(ok(t, cmd{dir: repo}, tools.kustomize, args...))
	}
}

// lintConfig is the ArgoMetricsConfig each example Application's objects were made with.
var lintConfig = map[string]string{
	"batch-prd":     seed002Config,
	"batch-prd-cmp": seed002Config,
	"nightly-jobs":  prConfig,
	"batch-jobs":    "",
}

// TestArgoCDApplications renders every example Application as Argo CD would, twice: golden
// output, byte-identical across runs, Argo-valid, lint-clean. Both Kustomize routes give the
// seed-002 build byte for byte.
func TestArgoCDApplications(t *testing.T) {
	need(t)
	repo := repoCopy(t)
	apps := loadApps(t)
	for name, a := range apps {
		t.Run(name, func(t *testing.T) {
			cfg, known := lintConfig[name]
			if !known {
				t.Fatalf("Application %s: add its config to lintConfig", name)
			}
			out := render(t, repo, a, tools.pathHelm4)
			if again := render(t, repo, a, tools.pathHelm4); string(again) != string(out) {
				t.Fatalf("two renders differ: %s", firstDiff(out, again))
			}
			golden(t, argocdGolden+name+".yaml", out)
			var lintArgs []string
			if cfg != "" {
				lintArgs = []string{"--config", rootPath(cfg)}
			}
			validArgo(t, out, 3, lintArgs...)
			checkMetricLabels(t, docs(t, out), "cronworkflow")
			if a.Spec.Source.Plugin != nil {
				// The sidecar's helm major does not matter: v3 gives the same objects.
				v3 := render(t, repo, a, tools.pathHelm3)
				if !reflect.DeepEqual(docs(t, v3), docs(t, out)) {
					t.Error("the plugin with helm v3 renders other objects than with helm v4")
				}
			}
		})
	}
	prd := readFile(t, rootPath(seed002+"/golden/prd.yaml"))
	for _, name := range []string{"batch-prd", "batch-prd-cmp"} {
		if got := readFile(t, rootPath(argocdGolden+name+".yaml")); string(got) != string(prd) {
			t.Errorf("%s differs from %s/golden/prd.yaml: %s", name, seed002, firstDiff(prd, got))
		}
	}
	nightly := string(readFile(t, rootPath(argocdGolden+"nightly-jobs.yaml")))
	for _, want := range []string{"image: registry.example.com/data/batch:2.1.0-prd", "name: nightly-jobs-settings", "- key: team\n"} {
		if !strings.Contains(nightly, want) {
			t.Errorf("nightly-jobs: %q missing (values file, release name, config)", want)
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestArgoCDPluginCases runs the plugin's commands on Applications the examples do not cover: a
// Kustomize tree without the transformer, a chart with a file:// dependency (init), and broken
// sources, which must fail generation (pipefail) instead of syncing an empty manifest.
func TestArgoCDPluginCases(t *testing.T) {
	need(t)
	p := loadPlugin(t)
	repo := repoCopy(t)
	quick := string(readFile(t, rootPath("examples/quickstart/cronworkflow.yaml")))
	writeFiles(t, repo, map[string]string{
		"apps/plain-kustomize/kustomization.yaml":  "namePrefix: prd-\nnamespace: reports\nresources:\n  - cronworkflow.yaml\n",
		"apps/plain-kustomize/cronworkflow.yaml":   quick,
		"apps/broken-kustomize/kustomization.yaml": "resources:\n  - missing.yaml\n",
		"apps/broken-chart/Chart.yaml":             "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
		"apps/broken-chart/templates/cw.yaml":      "{{ fail \"values are missing\" }}\n",
		"apps/with-dependency/Chart.yaml": "apiVersion: v2\nname: with-dependency\nversion: 0.1.0\n" +
			"dependencies:\n  - name: batch-monitoring\n    version: 0.1.0\n    repository: file://../../charts/batch-monitoring\n",
		"apps/with-dependency/values.yaml": "batch-monitoring:\n  datadog:\n    enabled: false\n",
		"apps/with-dependency/templates/cw.yaml": `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly-report
  annotations:
    {{- include "batch-monitoring.workflowMetricsAnnotations" (dict "name" "nightly-report" "stalenessThresholdSeconds" 90000) | nindent 4 }}
spec:
  schedules: ["0 3 * * *"]
  timezone: Asia/Tokyo
  workflowSpec:
    entrypoint: main
    {{- include "batch-monitoring.workflowMetrics" (dict "name" "nightly-report" "stalenessThresholdSeconds" 90000) | nindent 4 }}
    templates:
      - name: main
        container:
          image: alpine:3.20
`,
	})
	app := func(name, ns string) []string {
		var a application
		a.Metadata.Name, a.Spec.Destination.Namespace, a.Spec.Source.Path = name, ns, "apps/"+name
		return cmpEnv(a)
	}

	r := runPlugin(t, p, filepath.Join(repo, "apps/plain-kustomize"), app("plain-kustomize", "reports"), tools.pathHelm4)
	if r.code != 0 {
		t.Fatalf("plain kustomize: %s", r)
	}
	ds := docs(t, []byte(r.stdout))
	checkMetricLabels(t, ds, "cronworkflow")
	if cws := ofKind(ds, "CronWorkflow"); len(cws) != 1 || str(cws[0], "metadata", "name") != "prd-nightly-report" {
		t.Errorf("plain kustomize: %v", cws)
	}

	dir := filepath.Join(repo, "apps/with-dependency")
	r = runPlugin(t, p, dir, app("with-dependency", "batch"), tools.pathHelm4)
	if r.code != 0 {
		t.Fatalf("chart with a file:// dependency: %s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "charts", "batch-monitoring-0.1.0.tgz")); err != nil {
		t.Errorf("init did not build the dependency: %v", err)
	}
	cws := ofKind(docs(t, []byte(r.stdout)), "CronWorkflow")
	if len(cws) != 1 {
		t.Fatalf("with-dependency: %d CronWorkflows", len(cws))
	}
	if c := run(t, cmd{stdin: []byte(r.stdout)}, amg, "inject", "--check"); c.code != 0 {
		t.Errorf("the dependency's named template must be what inject writes: %s", c)
	}

	for _, broken := range []string{"broken-kustomize", "broken-chart"} {
		r := runPlugin(t, p, filepath.Join(repo, "apps", broken), app(broken, "batch"), tools.pathHelm4)
		if r.code == 0 {
			t.Errorf("%s: generation must fail, got exit 0 with %q", broken, r.stdout)
		}
		// What pipefail prevents: without it the pipe's status is argo-metrics-gen's, which
		// succeeds on the empty stream, and Argo CD would sync nothing (pruning everything).
		lax := p
		lax.Spec.Generate.Args = []string{strings.Replace(p.Spec.Generate.Args[0], "set -euo pipefail", "set -eu", 1)}
		if lax.Spec.Generate.Args[0] == p.Spec.Generate.Args[0] {
			t.Fatal("the generate script no longer starts with set -euo pipefail")
		}
		if r := runPlugin(t, lax, filepath.Join(repo, "apps", broken), app(broken, "batch"), tools.pathHelm4); r.code != 0 || r.stdout != "" {
			t.Errorf("%s without pipefail: %s", broken, r)
		}
	}
}

// TestArgoCDSidecarComponent builds integrations/argocd-cmp (a Kustomize component) onto a
// minimal argocd-repo-server with the real kustomize: the sidecar as Argo CD's CMP docs require,
// and the ConfigMap holding plugin.yaml byte for byte.
func TestArgoCDSidecarComponent(t *testing.T) {
	need(t)
	dir := t.TempDir()
	copyTree(t, rootPath("integrations/argocd-cmp"), filepath.Join(dir, "argocd-cmp"))
	writeFiles(t, dir, map[string]string{
		"kustomization.yaml": "namespace: argocd\nresources:\n  - repo-server.yaml\ncomponents:\n  - argocd-cmp\n" +
			"images:\n  - name: argo-metrics-gen-cmp\n    newName: registry.example.com/platform/argo-metrics-gen-cmp\n    newTag: v0.1.0\n",
		"repo-server.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd
      volumes:
        - name: var-files
          emptyDir: {}
        - name: plugins
          emptyDir: {}
`,
	})
	out := ok(t, cmd{}, tools.kustomize, "build", dir)
	ds := docs(t, []byte(out))
	cms := ofKind(ds, "ConfigMap")
	if len(cms) != 1 || str(cms[0], "metadata", "name") != "argo-metrics-gen-cmp" ||
		str(cms[0], "data", "plugin.yaml") != string(readFile(t, rootPath(cmpPluginFile))) {
		t.Fatalf("ConfigMap: %v", cms)
	}
	dep := ofKind(ds, "Deployment")[0]
	var sidecar map[string]any
	for _, c := range get(dep, "spec", "template", "spec", "containers").([]any) {
		if str(c, "name") == "argo-metrics-gen-cmp" {
			sidecar = c.(map[string]any)
		}
	}
	if sidecar == nil {
		t.Fatalf("no sidecar:\n%s", out)
	}
	if str(sidecar, "image") != "registry.example.com/platform/argo-metrics-gen-cmp:v0.1.0" ||
		str(sidecar, "command", 0) != "/var/run/argocd/argocd-cmp-server" ||
		get(sidecar, "securityContext", "runAsUser") != 999 || get(sidecar, "securityContext", "runAsNonRoot") != true {
		t.Errorf("sidecar: %v", sidecar)
	}
	volumes := map[string]bool{}
	for _, v := range get(dep, "spec", "template", "spec", "volumes").([]any) {
		volumes[str(v, "name")] = true
	}
	mounts := map[string]string{}
	for _, m := range get(sidecar, "volumeMounts").([]any) {
		mounts[str(m, "mountPath")] = str(m, "name")
		if !volumes[str(m, "name")] {
			t.Errorf("mount of an undefined volume %q", str(m, "name"))
		}
		if str(m, "mountPath") == "/home/argocd/cmp-server/config/plugin.yaml" && str(m, "subPath") != "plugin.yaml" {
			t.Errorf("plugin.yaml mounted without subPath: %v", m)
		}
	}
	for _, path := range []string{"/var/run/argocd", "/home/argocd/cmp-server/plugins", "/home/argocd/cmp-server/config/plugin.yaml", "/tmp"} {
		if mounts[path] == "" {
			t.Errorf("sidecar lacks the mount %s", path)
		}
	}
	if mounts["/tmp"] == "tmp" {
		t.Error("the sidecar must not share the repo-server's /tmp volume")
	}
	if n := len(get(dep, "spec", "template", "spec", "containers").([]any)); n != 2 {
		t.Errorf("%d containers, want the repo-server and the sidecar", n)
	}
	if v := loadPlugin(t).Spec.Version; v != "" {
		t.Errorf("spec.version %q: Applications would have to name the plugin argo-metrics-gen-%s", v, v)
	}
}
