package main_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/stylegen"
)

// TestSameBytesWhateverTheScheduling runs the golden cases, the hostile corpus, generated style
// cases and the KRM cases through the binary under GOMAXPROCS=1, 2 and 8, twice each: stdout,
// stderr and the exit code must be the same every time (Argo CD diffs what we write; a Helm
// post-renderer's output is an app's desired state).
func TestSameBytesWhateverTheScheduling(t *testing.T) {
	type tc struct {
		stdin []byte
		args  []string
	}
	cases := map[string]tc{}
	goldens, _ := filepath.Glob(golden + "*/input.yaml")
	for _, in := range goldens {
		args := []string{"inject"}
		if cfg := filepath.Join(filepath.Dir(in), "config.yaml"); exists(cfg) {
			args = append(args, "--config", cfg)
		}
		cases["golden/"+filepath.Base(filepath.Dir(in))] = tc{read(t, in), args}
	}
	hostile, _ := hostileCases(t)
	for name, data := range hostile {
		cases["hostile/"+name] = tc{data, []string{"inject"}}
	}
	r := rand.New(rand.NewPCG(8, 1))
	for i := range 60 {
		cases[fmt.Sprintf("style/%02d", i)] = tc{stylegen.Generate(r).Text, []string{"inject"}}
	}
	lists, _ := filepath.Glob("../../internal/krm/testdata/*/input.yaml")
	for _, in := range lists {
		cases["krm/"+filepath.Base(filepath.Dir(in))] = tc{read(t, in), nil}
	}
	if len(goldens) < 40 || len(hostile) < 60 || len(lists) < 4 {
		t.Fatalf("only %d golden, %d hostile and %d KRM cases", len(goldens), len(hostile), len(lists))
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cases[name]
		var first run
		for i, procs := range []string{"1", "2", "8", "1", "2", "8"} {
			got := runWith(t, c.stdin, []string{"GOMAXPROCS=" + procs}, c.args...)
			if i == 0 {
				first = got
				continue
			}
			if got != first {
				t.Errorf("%s: under GOMAXPROCS=%s (run %d) exit %d, %d bytes out, stderr %q; first run (GOMAXPROCS=1) exit %d, %d bytes out, stderr %q",
					name, procs, i+1, got.code, len(got.stdout), got.stderr, first.code, len(first.stdout), first.stderr)
				break
			}
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// runWith runs the binary with env added to the test's environment.
func runWith(t *testing.T, stdin []byte, env []string, args ...string) run {
	t.Helper()
	return runIn(t, stdin, "", env, args...)
}
