package inject_test

import (
	"encoding/json"
	"strings"
	"testing"

	sigyaml "sigs.k8s.io/yaml"

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
		"a: 1\n\"a\": 2\n":               `2: duplicate key "a" (first on the line above)`,
		"- a\n- b: c\n  d: e\n  b: f\n":  `4: duplicate key "b" (first 2 lines above)`,
		"a: \"\xef\xbf\xbd\"\nb: \xff\n": "2: invalid UTF-8 (byte 0xff): YAML must be UTF-8 text", // U+FFFD itself is valid
		"a: 1\nb: \x00\n":                "2: NUL byte in input: not a YAML text",
		"x: &a {k: 1}\ny: &b {j: 2}\nz:\n  <<: *a\n  <<: *b\n": "", // two merge keys are no duplicate
		"a:\n  0x1: x\n\n  1: y\n":                             `4: duplicate key "1" for Kubernetes (first 2 lines above, as "0x1"): both are the JSON key "1"`,
		"a: {1: x, '1': y}\n":                                  `1: duplicate key "1" for Kubernetes (first earlier on the same line, as "1"): both are the JSON key "1"`,
		// go-yaml names the line where a block collection starts, not the line it cannot read.
		"kind: A\nspec:\n  list:\n    - a\n    b: c\n":               "5: invalid YAML: did not find expected '-' indicator",
		"spec:\n  list:\n    - |\n      text\n    # c\n\n    b: c\n": "7: invalid YAML: did not find expected '-' indicator",
		"spec:\n  a: 1\n  - b\n":                                     "3: invalid YAML: did not find expected key",
		"spec:\n  a:\n    b: 1\n   c: 2\n":                           "4: invalid YAML: did not find expected key",
		"- a\nb: c\n":                                                "2: invalid YAML: did not find expected '-' indicator",
		"a:\n  b: {c: 1\n  d: 2\n":                                   "2: invalid YAML: did not find expected ',' or '}'", // where the { is
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

// TestKeysKubernetesReadsAsOne: kubectl and the API server read YAML through sigs.k8s.io/yaml
// (go-yaml v2, YAML 1.1, then JSON), where keys that differ for a YAML 1.2 reader can become one
// JSON key, and which value survives is random. Every mapping it folds that way is refused at
// the second key; mappings it keeps apart are accepted.
func TestKeysKubernetesReadsAsOne(t *testing.T) {
	for _, c := range []struct {
		keys   [2]string
		refuse bool
	}{
		{[2]string{`1`, `"1"`}, true},
		{[2]string{`true`, `"true"`}, true},
		{[2]string{`yes`, `on`}, true},
		{[2]string{`Off`, `"false"`}, true},
		{[2]string{`0x1`, `1`}, true},
		{[2]string{`1.0`, `1`}, true},
		{[2]string{`010`, `8`}, true},
		{[2]string{`+1`, `'1'`}, true},
		{[2]string{`1_000`, `1000`}, true},
		{[2]string{`!!str 1`, `1`}, true},
		{[2]string{`"01"`, `1`}, false},
		{[2]string{`"yes"`, `"true"`}, false},
		{[2]string{`1`, `2`}, false},
		{[2]string{`name`, `names`}, false},
		{[2]string{`1e3`, `"1e3"`}, false}, // 1e3 is "1000"
		{[2]string{`1e3`, `1000`}, true},
	} {
		src := "data:\n  " + c.keys[0] + ": a\n  " + c.keys[1] + ": b\n"
		j, err := sigyaml.YAMLToJSON([]byte(src))
		if err != nil {
			t.Fatalf("%q: sigs.k8s.io/yaml: %v", src, err)
		}
		var got struct{ Data map[string]string }
		if err := json.Unmarshal(j, &got); err != nil {
			t.Fatal(err)
		}
		if folded := len(got.Data) == 1; folded != c.refuse {
			t.Fatalf("%q: sigs.k8s.io/yaml gives %s: the case is wrong", src, j)
		}
		_, err = inject.ParseDocument([]byte(src))
		switch {
		case c.refuse && (err == nil || !strings.HasPrefix(err.Error(), "3: duplicate key")):
			t.Errorf("%q (Kubernetes reads %s): got %v, want a duplicate key at line 3", src, j, err)
		case !c.refuse && err != nil:
			t.Errorf("%q (Kubernetes reads %s): %v", src, j, err)
		}
	}

	// Which of two such values Kubernetes keeps is not even stable: it is Go's map order.
	seen := map[string]bool{}
	for i := 0; i < 200 && len(seen) < 2; i++ {
		j, err := sigyaml.YAMLToJSON([]byte("1: a\n\"1\": b\n"))
		if err != nil {
			t.Fatal(err)
		}
		seen[string(j)] = true
	}
	if len(seen) != 2 {
		t.Errorf("sigs.k8s.io/yaml kept the same value 200 times (%v): the comment above is wrong", seen)
	}
}
