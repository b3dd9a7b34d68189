package inject

import (
	"testing"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// FuzzScalarText: a value we render on a "key: value" line, as a block item and inside a flow
// mapping reads back as the same string.
func FuzzScalarText(f *testing.F) {
	for _, s := range []string{"exit_code", "0", "true", "{{workflow.namespace}}", "a: b", "x #y", "", "~", "1e3", "é", "\u2028", "a\nb", `"`, "\\", "job-1",
		"\x1f", "\x7f", "\u0080", "\u009f", "\u00a0", "\ufffe", "\uffff"} { // each side of the bytes YAML forbids raw
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			t.Skip() // values come from parsed YAML, which is valid UTF-8
		}
		text := scalarText(recipe.Scalar(v))
		for _, doc := range []string{"k: " + text + "\n", "- " + text + "\n", "{k: " + text + "}\n"} {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
				t.Fatalf("%q as %q: %v", v, doc, err)
			}
			got := n.Content[0].Content[len(n.Content[0].Content)-1]
			if got.Value != v || got.ShortTag() != "!!str" {
				t.Fatalf("%q as %q reads back as %s %q", v, doc, got.ShortTag(), got.Value)
			}
		}
	})
}

func TestScanFlow(t *testing.T) {
	for src, want := range map[string]struct {
		close, lastSig int
		comma          bool
	}{
		`[]`:                   {1, 1, false},
		`{a: 1}`:               {5, 5, false},
		`[a, "b]", 'c'']']`:    {16, 16, false},
		"[a, # c]\n b,\n]":     {13, 12, true},
		`{"k": {"n": [1, 2]}}`: {19, 19, false},
		`[a#b]`:                {4, 4, false},
		`{a: it's, b: "x"}`:    {16, 16, false},
		"{a: 1, # c ]\n}":      {13, 6, true},
		`[a 'b, c]`:            {8, 8, false},
		`{"k":'v'}`:            {8, 8, false},
		`{"esc": "\"}"}`:       {13, 13, false},
	} {
		f, ok := scanFlow([]byte(src), 0)
		if !ok || f.close != want.close || f.lastSig != want.lastSig || f.comma != want.comma {
			t.Errorf("%q: got %+v ok=%v, want %+v", src, f, ok, want)
		}
	}
	if _, ok := scanFlow([]byte(`[a, {b: c]`), 0); ok {
		t.Error("unclosed collection reported as closed")
	}
}
