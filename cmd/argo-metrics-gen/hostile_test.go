package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
)

// Bounds every run of a hostile input must stay within.
const (
	hostileTimeout = 30 * time.Second
	hostileMaxRSS  = 400 << 20 // bytes
)

// hostileCases returns the corpus: testdata/hostile/*.yaml with the expected outcome of inject
// in expect.json ("ok", or "error: " and text the message must contain, ":LINE:" meaning right
// after the file name), plus large cases generated here rather than committed.
func hostileCases(t *testing.T) (map[string][]byte, map[string]string) {
	t.Helper()
	var expect map[string]string
	if err := json.Unmarshal(read(t, "testdata/hostile/expect.json"), &expect); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{}
	for name := range expect {
		cases[name] = read(t, filepath.Join("testdata/hostile", name+".yaml"))
	}
	cw := string(read(t, "testdata/hostile/bom.yaml")[3:])
	big := strings.Repeat("x", 1<<20)
	cases["huge-strings"] = []byte(strings.Replace(cw, "  namespace: batch\n", "  namespace: batch\n  annotations:\n    blob: \""+big+"\"\n", 1) +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: |\n    " + big + "\n")
	expect["huge-strings"] = "ok"
	var tmpl strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&tmpl, "      - name: t%d\n        container: {image: alpine, command: [\"true\"]}\n", i)
	}
	cases["thousands-of-templates"] = []byte(cw + tmpl.String())
	expect["thousands-of-templates"] = "ok"
	bomb := "    podMetadata:\n      labels:\n        a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, c := range "bcdefghij" {
		bomb += fmt.Sprintf("        %c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+",", 10), ","))
		prev = string(c)
	}
	cases["alias-bomb-in-cronworkflow"] = []byte(strings.Replace(cw, "    entrypoint: main\n", "    entrypoint: main\n"+bomb, 1))
	expect["alias-bomb-in-cronworkflow"] = "ok"
	cases["deep-flow-nesting"] = []byte("a: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n")
	expect["deep-flow-nesting"] = "error: exceeded max depth of 10000"
	var deep strings.Builder
	deep.WriteString("a:\n")
	for i := 1; i <= 3000; i++ {
		deep.WriteString(strings.Repeat(" ", i) + "b:\n")
	}
	cases["deep-block-nesting"] = []byte(deep.String() + "---\n" + cw)
	expect["deep-block-nesting"] = "ok"
	return cases, expect
}

// TestHostileInputs runs every mode on every case: no panic, bounded time and memory, the
// documented exit code, the expected message, and nothing written on error.
func TestHostileInputs(t *testing.T) {
	cases, expect := hostileCases(t)
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d cases, want at least 40", len(cases))
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		data, want := cases[name], expect[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "in.yaml")
			os.WriteFile(file, data, 0o644)

			fileRun := boundedRun(t, nil, dir, "inject", "in.yaml")
			pipeRun := boundedRun(t, data, dir)
			for _, r := range []run{fileRun, pipeRun} {
				checkNoPanic(t, r)
			}
			parseLevel := strings.Contains(want, "invalid YAML") || strings.Contains(want, "UTF-8") ||
				strings.Contains(want, "NUL byte") || strings.Contains(want, "duplicate key") || strings.Contains(want, "max depth")
			if want == "ok" {
				if fileRun.code != 0 || pipeRun.code != 0 {
					t.Fatalf("want success: file code %d %q, pipe code %d %q", fileRun.code, fileRun.stderr, pipeRun.code, pipeRun.stderr)
				}
				if fileRun.stdout != pipeRun.stdout {
					t.Error("file and pipe modes differ")
				}
				assertParses(t, []byte(fileRun.stdout))
				again := boundedRun(t, []byte(fileRun.stdout), dir, "inject")
				if again.code != 0 || again.stdout != fileRun.stdout {
					t.Error("a second run changed the output")
				}
			} else {
				msg := strings.TrimPrefix(want, "error: ")
				wantText := msg
				if strings.HasPrefix(msg, ":") {
					wantText = "in.yaml" + msg
				}
				if fileRun.code != 2 || !strings.Contains(fileRun.stderr, wantText) || fileRun.stdout != "" {
					t.Fatalf("want exit 2 and %q; got code %d stdout %d bytes stderr %q", wantText, fileRun.code, len(fileRun.stdout), fileRun.stderr)
				}
				if pipeRun.code != 2 || pipeRun.stdout != "" || !strings.Contains(pipeRun.stderr, strings.Replace(wantText, "in.yaml", "<stdin>", 1)) {
					t.Fatalf("pipe: code %d stderr %q", pipeRun.code, pipeRun.stderr)
				}
			}

			// --check and --in-place: exit codes as documented, nothing written on error.
			check := boundedRun(t, nil, dir, "inject", "--check", ".")
			inPlace := boundedRun(t, nil, dir, "inject", "--in-place", ".")
			checkNoPanic(t, check)
			checkNoPanic(t, inPlace)
			after := read(t, file)
			switch {
			case strings.HasPrefix(name, "helm-template"):
				// An unrendered Helm template is not a manifest: a tree walk leaves it alone.
				if check.code != 0 || inPlace.code != 0 || !bytes.Equal(after, data) || !strings.Contains(check.stderr, "in.yaml: skipped, an unrendered Helm template") {
					t.Errorf("Helm template: --check %d %q, --in-place %d, file changed %v", check.code, check.stderr, inPlace.code, !bytes.Equal(after, data))
				}
			case want != "ok":
				if check.code != 2 || inPlace.code != 2 || !bytes.Equal(after, data) {
					t.Errorf("error case: --check %d, --in-place %d, file changed %v", check.code, inPlace.code, !bytes.Equal(after, data))
				}
			case fileRun.stdout == string(data):
				if check.code != 0 || inPlace.code != 0 || !bytes.Equal(after, data) {
					t.Errorf("unchanged case: --check %d, --in-place %d, file changed %v", check.code, inPlace.code, !bytes.Equal(after, data))
				}
			default:
				if check.code != 1 || check.stdout != "in.yaml\n" || inPlace.code != 0 || string(after) != fileRun.stdout {
					t.Errorf("changed case: --check %d %q, --in-place %d, file as the stream %v", check.code, check.stdout, inPlace.code, string(after) == fileRun.stdout)
				}
			}

			// The read-only commands: bounded, no panic, documented exit codes; unreadable input
			// is exit 2 everywhere.
			for _, args := range [][]string{{"lint", "in.yaml"}, {"preview", "in.yaml"}, {"schedule", "in.yaml"}, {"schedule", "-o", "json", "in.yaml"}} {
				r := boundedRun(t, nil, dir, args...)
				checkNoPanic(t, r)
				if r.code < 0 || r.code > 2 {
					t.Errorf("%v: exit code %d", args, r.code)
				}
				if parseLevel && r.code != 2 {
					t.Errorf("%v: unreadable input must exit 2, got %d", args, r.code)
				}
			}
		})
	}
}

// TestHostileResourceLists: the KRM mode on broken ResourceLists fails cleanly and returns
// every item unchanged.
func TestHostileResourceLists(t *testing.T) {
	cw := strings.ReplaceAll(string(read(t, "testdata/hostile/bom.yaml")[3:]), "\n", "\n  ")
	for name, tc := range map[string]struct {
		input string
		code  int
		want  string
	}{
		"items not a list":       {"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: b}\n", 2, "ResourceList line 3: items must be a list of objects"},
		"item not an object":     {"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [42]\n", 2, "ResourceList line 3: items[0] must be an object"},
		"no items":               {"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n", 0, ""},
		"item without name":      {"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " + strings.Replace(cw, "name: job\n", "", 1) + "\n", 2, "metadata.name is missing or empty"},
		"config of another kind": {"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " + cw + "\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n", 2, `functionConfig: line 20: apiVersion: must be "argo-metrics-gen.io/v1alpha1", got "v1"`},
		"truncated":              {"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x\n", 2, "invalid YAML"},
	} {
		t.Run(name, func(t *testing.T) {
			r := boundedRun(t, []byte(tc.input), "")
			checkNoPanic(t, r)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("code %d (want %d) stderr %q (want %q)", r.code, tc.code, r.stderr, tc.want)
			}
			if tc.code != 0 && strings.Contains(r.stdout, "managed-metrics") {
				t.Error("an item was changed although the function failed")
			}
		})
	}
}

func boundedRun(t *testing.T, stdin []byte, dir string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v did not finish within %s", args, hostileTimeout)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024; rss > hostileMaxRSS {
		t.Errorf("%v used %d MB", args, rss>>20)
	}
	return run{out.String(), errb.String(), code}
}

func checkNoPanic(t *testing.T, r run) {
	t.Helper()
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("panic: %s", r.stderr)
	}
}

// assertParses decodes every document of a stream, document by document: YAML 1.2 allows a
// bare document after "...", which go-yaml's stream decoder refuses, and the input had it.
func assertParses(t *testing.T, data []byte) {
	t.Helper()
	for _, c := range inject.Split(data) {
		dec := yaml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(c.Text, []byte("\xef\xbb\xbf"))))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("output does not parse at line %d: %v", c.Line, err)
			}
		}
	}
}
