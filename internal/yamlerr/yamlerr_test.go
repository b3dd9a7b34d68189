package yamlerr_test

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/yamlerr"
)

// TestLocate: the line is the one a user has to fix, whichever of go-yaml's parser or scanner
// noticed the problem.
func TestLocate(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		line int
		msg  string
	}{
		"scanner: tab indentation":         {"a: 1\n\tb: 2\n", 2, "found a tab character that violates indentation"},
		"parser: unclosed flow sequence":   {"a: 1\nb: [1, 2\nc: 3\n", 2, "did not find expected ',' or ']'"},
		"block sequence: key inside":       {"x: 0\na:\n  - b\n  c: d\n", 4, "did not find expected '-' indicator"},
		"block sequence at line 1":         {"a:\n  - b\n  c: d\n", 3, "did not find expected '-' indicator"},
		"block mapping: key indented off":  {"x: 0\nm:\n  a: b\n c: d\n", 4, "did not find expected key"},
		"block mapping after a multi-line": {"x: 0\nm:\n  a: |\n    one\n    two\n  b: c\n d: e\n", 7, "did not find expected key"},
		"key without a colon":              {"a: 1\nb\nc: 2\n", 2, "could not find expected ':'"},
		"unknown anchor":                   {"a: 1\nb: *nope\n", 2, "unknown anchor 'nope' referenced (anchors do not cross documents)"},
		"unknown anchor at the first byte": {"*nope\n", 1, "unknown anchor 'nope' referenced (anchors do not cross documents)"},
		"unknown anchor, CR and LS breaks": {"a: 1\rb: 2\u2028c: *nope\r\n", 3, "unknown anchor 'nope' referenced (anchors do not cross documents)"},
		"%YAML 1.2 on the first line":      {"%YAML 1.2\n---\na: 1\n", 1, "found incompatible YAML document (go-yaml, which Kubernetes tools use, reads YAML 1.1: remove the %YAML directive)"},
	} {
		t.Run(name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tc.text), &n)
			if err == nil {
				t.Fatal("parsed")
			}
			if line, msg := yamlerr.Locate(err, []byte(tc.text)); line != tc.line || msg != tc.msg {
				t.Errorf("got %d: %s\nwant %d: %s (go-yaml: %v)", line, msg, tc.line, tc.msg, err)
			}
		})
	}
}
