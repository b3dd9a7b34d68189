package inject

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// FuzzScalarText: a value we render on a "key: value" line, as a block item and inside a flow
// mapping reads back as the same string. verify.go skips re-parsing values on this guarantee.
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

func TestMaskValues(t *testing.T) {
	a := maskValues("- name: exit_code\n  labels:\n    - key: cronworkflow\n      value: job-a\n  help: \"x: y\"\r\n")
	b := maskValues("- name: other\n  labels:\n    - key: cronworkflow\n      value: job-b-longer\n  help: \"other\"\r\n")
	if a != b {
		t.Errorf("same shape, different masks:\n%s\n%s", a, b)
	}
	if c := maskValues("- name: exit_code\n  labels:\n    - key: cronworkflow\n      value: \"0job\"\n  help: \"x\"\r\n"); c == a {
		t.Error("a quoted value must not share the shape of a plain one")
	}
	if c := maskValues("- name: exit_code\n  labels:\n  - key: cronworkflow\n    value: job-a\n  help: \"x\"\r\n"); c == a {
		t.Error("different indentation must not share a shape")
	}
	// Scalar list items ("- value") are masked the same way, indentation and dash kept.
	items := maskValues("  - job-a\n  - x\n")
	if other := maskValues("  - job-b-longer\n  - y\n"); other != items || !strings.HasPrefix(items, "  - ") {
		t.Errorf("scalar items of the same shape: %q and %q", items, other)
	}
	if c := maskValues("  - \"0job\"\n  - x\n"); c == items {
		t.Error("a quoted item must not share the shape of a plain one")
	}
	if c := maskValues("    - job-a\n    - x\n"); c == items {
		t.Error("items at another indentation must not share a shape")
	}
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

// TestWriteStringQuoted: writeString writes every quoted value as quote does, the recipe's
// `when` expressions and values that differ from them in one byte.
func TestWriteStringQuoted(t *testing.T) {
	values := []string{recipe.WhenSucceeded, recipe.WhenNotSucceeded, "plain", `a "b"`, "tab\there", "é", ""}
	for _, w := range []string{recipe.WhenSucceeded, recipe.WhenNotSucceeded} {
		values = append(values, strings.Replace(w, "Succeeded", "Succeedex", 1), w[:len(w)-1]+"x", w+" ")
	}
	for _, v := range values {
		var b bytes.Buffer
		b.WriteString("k: ")
		writeString(&b, v, true)
		if got, want := b.String(), "k: "+quote(v); got != want {
			t.Errorf("writeString(%q) = %q, want %q", v, got, want)
		}
	}
}
