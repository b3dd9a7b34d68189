package chart_test

// Interim copy of the alerts branch's promtool helpers (internal/chart/rules_test.go): delete
// this file when that lands on main.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// promtoolVersion is the Prometheus release whose rule engine judges the rules.
const promtoolVersion = "v0.305.0"

var (
	promtoolOnce sync.Once
	promtoolPath string
	promtoolErr  error
)

// promtool returns $PROMTOOL (set by `make test`), else builds it once with the cached
// throw-away-module build of test/tools/promtool.sh.
func promtool(t *testing.T) string {
	t.Helper()
	promtoolOnce.Do(func() {
		if p := os.Getenv("PROMTOOL"); p != "" {
			promtoolPath = p
			return
		}
		out, err := exec.Command(filepath.Join("..", "..", "test", "tools", "promtool.sh"), promtoolVersion).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				err = fmt.Errorf("%v: %s", err, ee.Stderr)
			}
			promtoolErr = fmt.Errorf("building promtool %s: %v", promtoolVersion, err)
			return
		}
		promtoolPath = strings.TrimSpace(string(out))
	})
	if promtoolErr != nil {
		t.Fatal(promtoolErr)
	}
	return promtoolPath
}

func trimOutput(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		s = s[:4000] + "\n..."
	}
	return s
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
