package main_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

var binary string

// TestMain builds the real binary once; every test runs it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "argo-metrics-gen-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "argo-metrics-gen")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building the binary: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	stdout, stderr string
	code           int
}

func runBinary(t *testing.T, stdin []byte, dir string, args ...string) run {
	t.Helper()
	return runIn(t, stdin, dir, nil, args...)
}

// runIn runs the binary in dir ("": the test's directory) with env added to the test's
// environment.
func runIn(t *testing.T, stdin []byte, dir string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{out.String(), errb.String(), code}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const golden = "../../internal/inject/testdata/"

func TestPipe(t *testing.T) {
	input := read(t, golden+"basic/input.yaml")
	want := string(read(t, golden+"basic/expected.yaml"))
	for name, args := range map[string][]string{
		"inject":             {"inject"},
		"inject -":           {"inject", "-"},
		"no arguments":       nil, // Helm v3 post-renderer
		"post-renderer args": {"--config", filepath.Join(t.TempDir(), "missing.yaml")},
	} {
		t.Run(name, func(t *testing.T) {
			r := runBinary(t, input, "", args...)
			if name == "post-renderer args" {
				if r.code != 2 || !strings.Contains(r.stderr, "missing.yaml") {
					t.Fatalf("flags without a command should configure inject: code %d, stderr %q", r.code, r.stderr)
				}
				return
			}
			if r.code != 0 || r.stdout != want {
				t.Fatalf("code %d stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			if strings.Contains(r.stdout, "config.kubernetes.io/index") {
				t.Error("reader annotations leaked into the stream")
			}
		})
	}
}

func TestPipeWithConfigAsPostRendererArgs(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec:\n  labels:\n    name: job\n"), 0o644)
	r := runBinary(t, read(t, golden+"compact-seq/input.yaml"), "", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "- key: job\n") {
		t.Fatalf("code %d stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
}

// tree lays out a directory of manifests: nested, mixed extensions, a hidden directory and a
// file that is not a manifest.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a/job.yaml":        string(read(t, golden+"compact-seq/input.yaml")),
		"a/b/other.yml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
		"c/job.json":        string(read(t, golden+"json/input.yaml")),
		"notes.txt":         "kind: CronWorkflow\n",
		".git/HEAD.yaml":    "kind: CronWorkflow\n",
		"z/already.yaml":    string(read(t, golden+"four-space/expected.yaml")),
		"z/executable.yaml": string(read(t, golden+"crlf/input.yaml")),
	}
	for p, content := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		mode := os.FileMode(0o644)
		if strings.Contains(p, "executable") {
			mode = 0o750
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFilesToStdout(t *testing.T) {
	dir := tree(t)
	r := runBinary(t, nil, dir, "inject", ".")
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.stderr)
	}
	want := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n" + "---\n" +
		string(read(t, golden+"compact-seq/expected.yaml")) + "---\n" +
		string(read(t, golden+"json/expected.yaml")) + "---\n" +
		string(read(t, golden+"four-space/expected.yaml")) + "---\n" +
		string(read(t, golden+"crlf/expected.yaml"))
	if r.stdout != want {
		t.Fatalf("stream differs; got:\n%s", r.stdout)
	}
}

func TestInPlaceAndCheck(t *testing.T) {
	dir := tree(t)
	before := map[string][]byte{}
	for _, p := range []string{"a/b/other.yml", "z/already.yaml", "notes.txt"} {
		before[p] = read(t, filepath.Join(dir, p))
	}
	already, _ := os.Stat(filepath.Join(dir, "z/already.yaml"))

	r := runBinary(t, nil, dir, "inject", "--check", ".")
	if r.code != 1 || r.stdout != "a/job.yaml\nc/job.json\nz/executable.yaml\n" {
		t.Fatalf("--check: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	r = runBinary(t, nil, dir, "inject", "--in-place", ".")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("--in-place: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	for p, want := range map[string]string{
		"a/job.yaml":        golden + "compact-seq/expected.yaml",
		"c/job.json":        golden + "json/expected.yaml",
		"z/executable.yaml": golden + "crlf/expected.yaml",
	} {
		if got := read(t, filepath.Join(dir, p)); !bytes.Equal(got, read(t, want)) {
			t.Errorf("%s not rewritten as expected", p)
		}
	}
	for p, b := range before {
		if !bytes.Equal(read(t, filepath.Join(dir, p)), b) {
			t.Errorf("%s changed although it needed no change", p)
		}
	}
	if st, _ := os.Stat(filepath.Join(dir, "z/executable.yaml")); st.Mode().Perm() != 0o750 {
		t.Errorf("mode not kept: %v", st.Mode())
	}
	if st, _ := os.Stat(filepath.Join(dir, "z/already.yaml")); !os.SameFile(st, already) || !st.ModTime().Equal(already.ModTime()) {
		t.Error("an unchanged file was rewritten")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*/.*tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	r = runBinary(t, nil, dir, "inject", "--check", ".")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("--check after --in-place: code %d stdout %q", r.code, r.stdout)
	}
}

func TestErrorWritesNothing(t *testing.T) {
	dir := tree(t)
	bad := filepath.Join(dir, "z", "zz-broken.yaml")
	os.WriteFile(bad, read(t, golden+"err-conflict/input.yaml"), 0o644)
	job := read(t, filepath.Join(dir, "a/job.yaml"))

	for _, args := range [][]string{{"inject", "--in-place", "."}, {"inject", "."}, {"inject", "--check", "."}} {
		r := runBinary(t, nil, dir, args...)
		want := "argo-metrics-gen: z/zz-broken.yaml:12: CronWorkflow my-workflow/seed-000: metric \"exit_code\" is already defined"
		if r.code != 2 || !strings.HasPrefix(r.stderr, want) || r.stdout != "" {
			t.Fatalf("%v: code %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
		if !bytes.Equal(read(t, filepath.Join(dir, "a/job.yaml")), job) {
			t.Fatalf("%v: a/job.yaml written although another file failed", args)
		}
	}
	r := runBinary(t, nil, dir, "inject", "--in-place", "--take-over", ".")
	if r.code != 0 {
		t.Fatalf("--take-over: code %d %s", r.code, r.stderr)
	}
}

func TestSymlinkOutsideTreeRefused(t *testing.T) {
	outside := t.TempDir()
	target := filepath.Join(outside, "job.yaml")
	original := read(t, golden+"compact-seq/input.yaml")
	os.WriteFile(target, original, 0o644)
	dir := t.TempDir()
	os.Symlink(target, filepath.Join(dir, "job.yaml"))
	r := runBinary(t, nil, dir, "inject", "--in-place", ".")
	if r.code != 2 || !strings.Contains(r.stderr, "refusing to rewrite a symlink") {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
	if !bytes.Equal(read(t, target), original) {
		t.Fatal("the link's target outside the tree was written")
	}
}

func TestKRMFunction(t *testing.T) {
	input := read(t, "../../internal/krm/testdata/kustomize-items/input.yaml")
	r := runBinary(t, input, "")
	if r.code != 0 || !strings.Contains(r.stdout, "kind: ResourceList") || !strings.Contains(r.stdout, "message: 'CronWorkflow prd/prd-nightly: injected'") {
		t.Fatalf("code %d stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, "name: params") {
		t.Error("an item was dropped")
	}
	bad := read(t, "../../internal/krm/testdata/conflict-leaves-items/input.yaml")
	r = runBinary(t, bad, "")
	if r.code == 0 || !strings.Contains(r.stderr, "cron/legacy.yaml: CronWorkflow legacy: metric \"exit_code\"") {
		t.Fatalf("conflict: code %d stderr %q", r.code, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown command": {[]string{"frobnicate"}, `unknown command "frobnicate"`},
		"unknown flag":    {[]string{"inject", "--nope"}, "unknown flag: --nope"},
		"exclusive":       {[]string{"inject", "--in-place", "--check", "."}, "--in-place and --check are exclusive"},
		"in-place stdin":  {[]string{"inject", "--in-place"}, "--in-place needs file or directory paths"},
		"missing path":    {[]string{"inject", "does-not-exist.yaml"}, "does-not-exist.yaml: no such file"},
		"bad config":      {[]string{"inject", "--config", "../../internal/krm/testdata/bad-config/input.yaml"}, "bad-config/input.yaml:1: apiVersion: must be"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runBinary(t, nil, "", tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("code %d stderr %q, want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := runBinary(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "argo-metrics-gen ") {
		t.Fatalf("code %d stdout %q", r.code, r.stdout)
	}
}

// TestKustomizeInProcess builds a kustomization with the shipped transformer through krusty, the
// library behind `kustomize build`, with our binary found on PATH as the transformer names it.
func TestKustomizeInProcess(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../kustomize/transformer", filepath.Join(dir, "transformer"))
	app := filepath.Join(dir, "app")
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, "cron.yaml"), read(t, golden+"compact-seq/input.yaml"), 0o644)
	os.WriteFile(filepath.Join(app, "kustomization.yaml"), []byte(
		"namespace: prd\nnamePrefix: prd-\nresources:\n- cron.yaml\ntransformers:\n- ../transformer\n"), 0o644)
	t.Setenv("PATH", filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))

	out := kustomize(t, app, true)
	if !strings.Contains(out, "name: prd-compact\n") || !strings.Contains(out, "value: prd-compact\n") {
		t.Fatalf("the static name label must carry the final, prefixed name:\n%s", out)
	}
	if !strings.Contains(out, "argo-metrics-gen.io/managed-metrics") {
		t.Fatalf("no metrics injected:\n%s", out)
	}
	if r := runBinary(t, []byte(out), "", "inject", "--check"); r.code != 0 {
		t.Fatalf("a build with the function must pass inject --check: code %d %s", r.code, r.stdout)
	}

	// Without exec enabled, Kustomize drops the function silently; --check catches it.
	skipped := kustomize(t, app, false)
	if strings.Contains(skipped, "managed-metrics") {
		t.Fatal("expected the function to be skipped without exec")
	}
	if r := runBinary(t, []byte(skipped), "", "inject", "--check"); r.code != 1 || r.stdout != "<stdin>\n" {
		t.Fatalf("inject --check must flag a build that skipped the function: code %d %q", r.code, r.stdout)
	}
}

func kustomize(t *testing.T, dir string, exec bool) string {
	t.Helper()
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	opts.PluginConfig.FnpLoadingOptions.EnableExec = exec
	opts.LoadRestrictions = types.LoadRestrictionsNone
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		if !exec {
			// Older and newer Kustomize differ here: some refuse, some skip. Both leave no metrics.
			return ""
		}
		t.Fatal(err)
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return string(y)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(to, 0o755)
	for _, e := range entries {
		os.WriteFile(filepath.Join(to, e.Name()), read(t, filepath.Join(from, e.Name())), 0o644)
	}
}

func TestSchedule(t *testing.T) {
	dir := "testdata/schedule"
	for args, golden := range map[string]string{"schedule input.yaml": "table.txt", "schedule -o json input.yaml": "json.txt"} {
		r := runBinary(t, nil, dir, strings.Fields(args)...)
		if r.code != 0 || r.stdout != string(read(t, filepath.Join(dir, golden))) {
			t.Errorf("%s: code %d stderr %q\n%s", args, r.code, r.stderr, r.stdout)
		}
		if r.stderr != string(read(t, filepath.Join(dir, "stderr.txt"))) {
			t.Errorf("%s: stderr %q", args, r.stderr)
		}
	}
	bad := strings.Replace(string(read(t, filepath.Join(dir, "input.yaml"))), `"0 9 * * 1-5"`, `"0 9 * * 1-8"`, 1)
	r := runBinary(t, []byte(bad), "", "schedule")
	want := "argo-metrics-gen: <stdin>:19: CronWorkflow finance/weekdays: cron schedule 0 9 * * 1-8 is malformed"
	if r.code != 2 || !strings.HasPrefix(r.stderr, want) || r.stdout != "" {
		t.Fatalf("invalid cron: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, nil, dir, "schedule", "-o", "yaml", "input.yaml"); r.code != 2 {
		t.Errorf("unknown output format: code %d", r.code)
	}
}

func TestPreview(t *testing.T) {
	dir := "testdata/preview"
	for args, golden := range map[string]string{
		"preview --status Failed --duration 208.508275 input.yaml": "failed.txt",
		"preview --status Succeeded input.yaml":                    "succeeded.txt",
	} {
		r := runBinary(t, nil, dir, strings.Fields(args)...)
		if r.code != 0 || r.stdout != string(read(t, filepath.Join(dir, golden))) || r.stderr != "" {
			t.Errorf("%s: code %d stderr %q\n%s", args, r.code, r.stderr, r.stdout)
		}
	}
	bad := strings.Replace(string(read(t, filepath.Join(dir, "input.yaml"))), `value: "{{workflow.duration}}"`, `value: "{{exitCode}}"`, 1)
	r := runBinary(t, []byte(bad), "", "preview", "--status", "Failed")
	wantErr := "# error: unable to substitute parameters for metric 'duration': failed to resolve {{exitCode}}\n"
	if r.code != 1 || !strings.Contains(r.stdout, wantErr) || !strings.Contains(r.stderr, "<stdin>:2: CronWorkflow data/nightly-report: the controller would log:") {
		t.Fatalf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runBinary(t, nil, dir, "preview", "--status", "Running", "input.yaml"); r.code != 2 {
		t.Errorf("bad --status: code %d", r.code)
	}
}

func TestLint(t *testing.T) {
	quick := "../../examples/quickstart/cronworkflow.yaml"
	r := runBinary(t, nil, "", "lint", quick)
	want := quick + ":2: CronWorkflow data/nightly-report: error: does not carry the argo-metrics-gen metrics"
	if r.code != 1 || !strings.HasPrefix(r.stdout, want) || !strings.HasSuffix(r.stdout, "1 Argo resource: 1 error, 2 warnings\n") {
		t.Fatalf("code %d stdout %q", r.code, r.stdout)
	}
	injected := runBinary(t, nil, "", "inject", quick).stdout
	if r := runBinary(t, []byte(injected), "", "lint"); r.code != 0 {
		t.Errorf("injected: code %d %s", r.code, r.stdout)
	}
	if r := runBinary(t, []byte(injected), "", "lint", "--strict"); r.code != 1 || !strings.Contains(r.stdout, "[schedule-v4]") {
		t.Errorf("--strict must fail on the warning: code %d %s", r.code, r.stdout)
	}
	r = runBinary(t, nil, "", "lint", "-o", "json", quick)
	var doc struct {
		Findings []struct {
			File, Rule, Severity string
			Line                 int
		}
		Resources, Errors, Warnings int
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 1 || doc.Errors != 1 || doc.Warnings != 2 || doc.Resources != 1 ||
		doc.Findings[0].Rule != "coverage" || doc.Findings[0].Line != 2 {
		t.Fatalf("json: code %d err %v %+v", r.code, err, doc)
	}
	for _, args := range [][]string{{"lint", "missing.yaml"}, {"lint", "-o", "xml", quick}} {
		if r := runBinary(t, nil, "", args...); r.code != 2 {
			t.Errorf("%v: code %d, want 2", args, r.code)
		}
	}
	if r := runBinary(t, []byte("a: [\n"), "", "lint"); r.code != 2 || !strings.Contains(r.stderr, "<stdin>:2: invalid YAML") {
		t.Errorf("unreadable input: code %d %q", r.code, r.stderr)
	}
}
