package inject_test

import (
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
)

// TestParseDocumentErrors: what the YAML parser refuses, or lets through and Kubernetes refuses,
// is reported at the line a user must fix.
func TestParseDocumentErrors(t *testing.T) {
	for src, want := range map[string]string{
		"a: 1\n---\nb: 2\n":              "2: unexpected second document; separate documents with ---", // its "---" line
		"a: 1\n...\nb: 2\n":              "3: invalid YAML: did not find expected <document start>",
		"a: {b: 1\nc: 2\n":               "2: invalid YAML: did not find expected ',' or '}'",
		"*x\n":                           "1: invalid YAML: unknown anchor 'x' referenced (anchors do not cross documents)",
		"a: 1\nb: *x\n":                  "2: invalid YAML: unknown anchor 'x' referenced (anchors do not cross documents)",
		"a: 1\n\"a\": 2\n":               `2: duplicate key "a" (first at line 1)`,
		"- a\n- b: c\n  d: e\n  b: f\n":  `4: duplicate key "b" (first at line 2)`,
		"a: \"\xef\xbf\xbd\"\nb: \xff\n": "2: invalid UTF-8 (byte 0xff): YAML must be UTF-8 text", // U+FFFD itself is valid
		"a: 1\nb: \x00\n":                "2: NUL byte in input: not a YAML text",
		"x: &a {k: 1}\ny: &b {j: 2}\nz:\n  <<: *a\n  <<: *b\n": "", // two merge keys are no duplicate
	} {
		_, err := inject.ParseDocument([]byte(src))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", src, got, want)
		}
	}
}
