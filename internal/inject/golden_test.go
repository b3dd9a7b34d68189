package inject_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argolint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// TestGolden runs every testdata/<case>: input.yaml with an optional config.yaml gives
// expected.yaml, or the error in errors.txt. Every successful case is also checked for the
// properties users rely on: Argo accepts the output, a second run changes nothing, the run only
// added lines (an update: kept every line but its own earlier metrics), and untouched
// documents are byte-identical.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		if filepath.Base(dir) == "fuzz" {
			continue // Go's fuzz corpus, not a golden case
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := config.Default()
			if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err == nil {
				if cfg, err = config.LoadFile(filepath.Join(dir, "config.yaml")); err != nil {
					t.Fatal(err)
				}
			}
			input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			in := &inject.Injector{Config: cfg}
			res, err := in.Stream(input)

			errFile := filepath.Join(dir, "errors.txt")
			if want, readErr := os.ReadFile(errFile); readErr == nil || (*update && err != nil) {
				if err == nil {
					t.Fatalf("expected error %q, got success", want)
				}
				got := err.Error() + "\n"
				if *update {
					os.WriteFile(errFile, []byte(got), 0o644)
					return
				}
				if got != string(want) {
					t.Fatalf("error mismatch\n got: %s\nwant: %s", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			expFile := filepath.Join(dir, "expected.yaml")
			if *update {
				os.WriteFile(expFile, res.Bytes(), 0o644)
			}
			want, err := os.ReadFile(expFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.Bytes(), want) {
				t.Fatalf("output differs from %s:\n%s", expFile, lineDiff(string(want), string(res.Bytes())))
			}

			again, err := in.Stream(res.Bytes())
			if err != nil {
				t.Fatalf("second run failed: %v", err)
			}
			if again.Changed || !bytes.Equal(again.Bytes(), res.Bytes()) {
				t.Fatalf("second run changed the output:\n%s", lineDiff(string(res.Bytes()), string(again.Bytes())))
			}

			updated := false
			for _, r := range res.Reports {
				updated = updated || r.Action == inject.Updated
			}
			_, statErr := os.Stat(filepath.Join(dir, "modifies-lines.txt")) // says why that case may
			kept := input
			if updated {
				kept = userLines(t, input, res.Bytes()) // our earlier metrics may be rewritten, nothing else
			}
			if statErr != nil && !onlyAdded(kept, res.Bytes()) {
				t.Errorf("the run changed or removed input lines other than its own earlier metrics, want additions only:\n%s", lineDiff(string(kept), string(res.Bytes())))
			}
			assertUntouchedIdentical(t, in, input, res.Bytes())

			if v := argolint.Validate(context.Background(), res.Bytes()); len(v.Findings) > 0 {
				t.Errorf("Argo validation failed: %v", v.Findings)
			}
		})
	}
}

// onlyAdded reports whether every line of before appears, in order, in after (lines cut where
// go-yaml cuts them; a last line without a line break may gain one).
func onlyAdded(before, after []byte) bool {
	b, a := yamlLines(before), yamlLines(after)
	j := 0
	for _, line := range a {
		if j < len(b) && (line == b[j] || (j == len(b)-1 && strings.TrimRight(line, "\r\n") == b[j])) {
			j++
		}
	}
	return j == len(b)
}

var lineRE = regexp.MustCompile("[^\r\n\u0085\u2028\u2029]*(\r\n|\r|\n|\u0085|\u2028|\u2029|$)")

// yamlLines cuts text into lines where go-yaml does, each with its line break.
func yamlLines(text []byte) []string {
	var out []string
	for _, l := range lineRE.FindAllString(string(text), -1) {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// assertUntouchedIdentical checks that documents without an Argo change come out as the same
// bytes, by pairing input and output documents.
func assertUntouchedIdentical(t *testing.T, in *inject.Injector, input, output []byte) {
	t.Helper()
	ic, oc := inject.Split(input), inject.Split(output)
	if len(ic) != len(oc) {
		t.Fatalf("document count changed: %d in, %d out", len(ic), len(oc))
	}
	for i := range ic {
		single, err := in.Stream(ic[i].Text)
		if err != nil {
			t.Fatal(err)
		}
		if !single.Changed && !bytes.Equal(ic[i].Text, oc[i].Text) {
			t.Errorf("untouched document %d (line %d) changed", i, ic[i].Line)
		}
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; (i < len(w) || i < len(g)) && b.Len() < 3000; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}
