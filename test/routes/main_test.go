package routes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argolint"
)

// testVersion is stamped into the argo-metrics-gen binary the tests run, with the same -X flag
// as `make build` and the Dockerfile; TestVersionFromLdflags reads it back.
const (
	testVersion = "v9.9.9"
	versionVar  = "github.com/argo-metrics-gen/argo-metrics-gen/internal/cli.Version"
)

var (
	enabled bool
	root    string // the repository
	work    string // temporary directory of this run
	amg     string // the argo-metrics-gen binary under test
	binDir  string // directory holding only argo-metrics-gen
	tools   struct {
		kustomize, helm3, helm4 string
		// Their versions (make routes passes the Makefile's; the defaults are the same).
		kustomizeVersion, helm3Version, helm4Version string
		// PATH directories holding kustomize, argo-metrics-gen and `helm` (v3 or v4).
		pathHelm3, pathHelm4 string
	}
)

func TestMain(m *testing.M) {
	if os.Getenv("ROUTES") != "1" {
		os.Exit(m.Run()) // every test skips: see need()
	}
	enabled = true
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "routes:", err)
		os.RemoveAll(work)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(work)
	os.Exit(code)
}

func setup() error {
	var err error
	if root, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		return err
	}
	if work, err = os.MkdirTemp("", "argo-metrics-gen-routes"); err != nil {
		return err
	}
	binDir = filepath.Join(work, "bin")
	amg = filepath.Join(binDir, "argo-metrics-gen")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X "+versionVar+"="+testVersion,
		"-o", amg, "./cmd/argo-metrics-gen")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building argo-metrics-gen: %w", err)
	}
	for _, tool := range []struct {
		env, version, want string
		dst, dstVersion    *string
		args               []string
	}{
		{"KUSTOMIZE", "KUSTOMIZE_VERSION", "v5.8.2", &tools.kustomize, &tools.kustomizeVersion, []string{"version"}},
		{"HELM3", "HELM3_VERSION", "v3.21.4", &tools.helm3, &tools.helm3Version, []string{"version", "--short"}},
		{"HELM4", "HELM4_VERSION", "v4.3.2", &tools.helm4, &tools.helm4Version, []string{"version", "--short"}},
	} {
		path := os.Getenv(tool.env)
		if path == "" {
			return fmt.Errorf("%s is not set: run `make routes`, which builds the tools and sets it", tool.env)
		}
		if v := os.Getenv(tool.version); v != "" {
			tool.want = v
		}
		out, err := exec.Command(path, tool.args...).Output()
		if err != nil {
			return fmt.Errorf("%s %v: %w", path, tool.args, err)
		}
		if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, tool.want) {
			return fmt.Errorf("%s is version %q, want %s", path, got, tool.want)
		}
		*tool.dst, *tool.dstVersion = path, tool.want
	}
	tools.pathHelm3, tools.pathHelm4 = filepath.Join(work, "path-helm3"), filepath.Join(work, "path-helm4")
	for dir, helm := range map[string]string{tools.pathHelm3: tools.helm3, tools.pathHelm4: tools.helm4} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for name, target := range map[string]string{"kustomize": tools.kustomize, "helm": helm, "argo-metrics-gen": amg} {
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// need skips the test unless ROUTES=1.
func need(t *testing.T) {
	t.Helper()
	if !enabled {
		t.Skip("needs the real tools: run `make routes` (ROUTES=1)")
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstderr: %s\nstdout:\n%s", r.code, r.stderr, r.stdout)
}

// cmd describes one process: its directory, stdin, extra environment and PATH entries.
type cmd struct {
	dir   string
	stdin []byte
	env   []string // KEY=VALUE, added after the base environment
	path  []string // prepended to PATH (binDir always is)
}

// baseEnv is the test process' environment without anything that could point a tool at the
// user's configuration, a cluster or a CI system; Helm's homes go to fresh directories.
func baseEnv(t *testing.T, c cmd) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HELM_") || strings.HasPrefix(k, "ARGOCD_") || strings.HasPrefix(k, "GITHUB_") ||
			k == "KUBECONFIG" || k == "PATH" || k == "KUBE_VERSION" || k == "KUBE_API_VERSIONS" {
			continue
		}
		env = append(env, kv)
	}
	helmHome := t.TempDir()
	env = append(env,
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"),
		"KUBECONFIG="+filepath.Join(helmHome, "no-cluster"),
		"PATH="+strings.Join(append(append(c.path, binDir), os.Getenv("PATH")), string(os.PathListSeparator)),
	)
	return append(env, c.env...)
}

// run runs name args... and returns its output and exit code; a failure to start fails the test.
func run(t *testing.T, c cmd, name string, args ...string) result {
	t.Helper()
	p := exec.Command(name, args...)
	p.Dir = c.dir
	p.Env = baseEnv(t, c)
	p.Stdin = bytes.NewReader(c.stdin)
	var out, errb bytes.Buffer
	p.Stdout, p.Stderr = &out, &errb
	err := p.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return result{out.String(), errb.String(), code}
}

// ok runs a command that must succeed and returns its stdout.
func ok(t *testing.T, c cmd, name string, args ...string) string {
	t.Helper()
	r := run(t, c, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: %s", filepath.Base(name), strings.Join(args, " "), r)
	}
	return r.stdout
}

func rootPath(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with the file rel (relative to the repository); UPDATE_GOLDEN=1 writes it.
func golden(t *testing.T, rel string, got []byte) {
	t.Helper()
	path := rootPath(rel)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (UPDATE_GOLDEN=1 rewrites it): %s", rel, firstDiff(want, got))
	}
}

// firstDiff describes the first line where want and got differ.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d: want %q, got %q", i+1, wl, gl)
		}
	}
	return "identical lines, different bytes"
}

// validArgo asserts that a manifest stream passes Argo's own validation (the code of
// `argo lint --offline`, strict decoding, templateRefs resolved within the stream) with exactly
// resources Argo objects, and `argo-metrics-gen lint` (with lintArgs) without an error.
func validArgo(t *testing.T, data []byte, resources int, lintArgs ...string) {
	t.Helper()
	res := argolint.Validate(context.Background(), data)
	for _, f := range res.Findings {
		t.Errorf("Argo validation: %v", f)
	}
	if res.Validated != resources {
		t.Errorf("Argo validation saw %d Argo objects, want %d", res.Validated, resources)
	}
	r := run(t, cmd{stdin: data}, amg, append([]string{"lint"}, lintArgs...)...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d Argo resources: 0 errors", resources)) {
		t.Errorf("argo-metrics-gen lint %v: %s", lintArgs, r)
	}
}

// docs parses a YAML stream into its non-empty documents.
func docs(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("parsing output: %v\n%s", err, data)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

func ofKind(ds []map[string]any, kind string) []map[string]any {
	var out []map[string]any
	for _, d := range ds {
		if d["kind"] == kind {
			out = append(out, d)
		}
	}
	return out
}

// get walks maps and lists: get(d, "metadata", "name").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

// checkMetricLabels asserts that every CronWorkflow carries our metrics, with the static name
// label equal to its final metadata.name and the namespace label resolved at run time.
func checkMetricLabels(t *testing.T, ds []map[string]any, nameLabel string) {
	t.Helper()
	cws := ofKind(ds, "CronWorkflow")
	if len(cws) == 0 {
		t.Fatal("no CronWorkflow in the output")
	}
	for _, cw := range cws {
		name := str(cw, "metadata", "name")
		managed := str(cw, "metadata", "annotations", "argo-metrics-gen.io/managed-metrics")
		if managed == "" {
			t.Errorf("CronWorkflow %s: no managed-metrics annotation", name)
		}
		prom, _ := get(cw, "spec", "workflowSpec", "metrics", "prometheus").([]any)
		ours := 0
		for _, m := range prom {
			if !slices.Contains(strings.Split(managed, ","), str(m, "name")) {
				continue
			}
			labels := map[string]string{}
			for _, l := range get(m, "labels").([]any) {
				labels[str(l, "key")] = str(l, "value")
			}
			ours++
			if labels[nameLabel] != name {
				t.Errorf("CronWorkflow %s: metric %s has %s=%q, want the final name", name, str(m, "name"), nameLabel, labels[nameLabel])
			}
			if labels["namespace"] != "{{workflow.namespace}}" {
				t.Errorf("CronWorkflow %s: metric %s has namespace=%q", name, str(m, "name"), labels["namespace"])
			}
		}
		if ours != 5 {
			t.Errorf("CronWorkflow %s: %d of our metric entries, want 5", name, ours)
		}
	}
}

// copyTree copies a directory (files keep their mode; .git, bin, dist and test binaries are
// left out).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && (rel == ".git" || rel == "bin" || rel == "dist" || rel == ".cache") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(rel, ".test") {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// repoCopy is a throw-away copy of the repository (what a CI checkout or Argo CD's repo
// tarball holds) with the binary under test at bin/argo-metrics-gen, as `make build` leaves it.
func repoCopy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	copyTree(t, root, dst)
	if err := os.MkdirAll(filepath.Join(dst, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "bin", "argo-metrics-gen"), readFile(t, amg), 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// splitStream splits a manifest stream into documents on "---" lines, keeping bytes.
func splitStream(s string) []string {
	var out []string
	cur := []string{}
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.TrimRight(line, "\r\n") == "---" {
			out = append(out, strings.Join(cur, ""))
			cur = cur[:0]
			continue
		}
		cur = append(cur, line)
	}
	out = append(out, strings.Join(cur, ""))
	var docs []string
	for _, d := range out {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, d)
		}
	}
	return docs
}
