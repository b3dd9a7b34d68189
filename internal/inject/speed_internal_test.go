package inject

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// TestOutputSizedOnce: a spliced document's output is allocated once, at its exact size (a
// wrong size grows it, or leaves room: either way cap differs from len). Every spliced
// document of the corpus, adds, replacements and removals of earlier entries included.
func TestOutputSizedOnce(t *testing.T) {
	in := &Injector{Config: config.Default()}
	takeOver := config.Default()
	takeOver.Spec.TakeOver = true
	spliced, removals := 0, 0
	for name, src := range corpus(t) {
		for _, in := range []*Injector{in, {Config: takeOver}} {
			doc, err := ParseDocument(src)
			if err != nil || doc == nil {
				continue
			}
			edits, _, err := in.plan(doc)
			if err != nil || len(edits) == 0 {
				continue
			}
			r, ok := newSource(src, doc.Content[0]).applyText(edits)
			if !ok {
				continue
			}
			spliced++
			for _, e := range edits {
				removals += len(e.remove)
			}
			if cap(r.out) != len(r.out) {
				t.Errorf("%s: output of %d bytes in a buffer of %d", name, len(r.out), cap(r.out))
			}
		}
	}
	if spliced < 50 || removals == 0 {
		t.Fatalf("only %d spliced documents, %d removed entries", spliced, removals)
	}
}

// TestQuote: quote writes printable characters as they are and escapes every one YAML does
// not allow raw; the result reads back as the same string in JSON and in YAML.
func TestQuote(t *testing.T) {
	raw := []rune{' ', '~', 'a', 0xa0, 'é', 0xfffd, 0xfffc, 0x10000, 0x2028}
	escaped := map[rune]string{0: `\u0000`, 0x1f: `\u001f`, '\n': `\n`, '\t': `\t`, '\r': `\r`, '"': `\"`, '\\': `\\`,
		0x7f: `\u007f`, 0x80: `\u0080`, 0x9f: `\u009f`, 0xfffe: `\ufffe`, 0xffff: `\uffff`}
	check := func(v, want string) {
		got := quote(v)
		if got != want {
			t.Errorf("quote(%q) = %s, want %s", v, got, want)
		}
		var j string
		if err := json.Unmarshal([]byte(got), &j); err != nil || j != v {
			t.Errorf("quote(%q) = %s reads back in JSON as %q (%v)", v, got, j, err)
		}
		var y string
		if err := yaml.Unmarshal([]byte(got), &y); err != nil || y != v {
			t.Errorf("quote(%q) = %s reads back in YAML as %q (%v)", v, got, y, err)
		}
	}
	var all, allWant strings.Builder
	for _, r := range raw {
		check("x"+string(r), `"x`+string(r)+`"`)
		all.WriteRune(r)
		allWant.WriteRune(r)
	}
	for r, e := range escaped {
		check(string(r)+"y", `"`+e+`y"`)
	}
	for _, r := range []rune{0, '"', 0x9f} {
		all.WriteRune(r)
		allWant.WriteString(escaped[r])
	}
	check(all.String(), `"`+allWant.String()+`"`)
	check("", `""`)
}

// TestShapesProvenOnce: a block shape is known once a document with it verified, under its
// masked text, and only that shape.
func TestShapesProvenOnce(t *testing.T) {
	const doc = "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: %s\nspec:\n  schedule: \"0 1 * * *\"\n  workflowSpec:\n    entrypoint: main\n"
	in := &Injector{Config: config.Default()}
	var block string
	blocks := 0
	for _, name := range []string{"job-a", "job-b-longer"} {
		src := []byte(strings.Replace(doc, "%s", name, 1))
		d, err := ParseDocument(src)
		if err != nil {
			t.Fatal(err)
		}
		edits, _, err := in.plan(d)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := newSource(src, d.Content[0]).applyText(edits)
		if !ok || len(r.blocks) == 0 {
			t.Fatal("no generated block")
		}
		block, blocks = r.blocks[0].text, len(r.blocks)
		if known := in.knownShape(block); known != (name != "job-a") {
			t.Errorf("%s: shape known before verification: %v, want %v", name, known, name != "job-a")
		}
		applyTree(edits)
		if !in.verify(r, d) {
			t.Fatalf("%s: not verified", name)
		}
		if !in.knownShape(block) {
			t.Errorf("%s: shape unknown after verification", name)
		}
	}
	if len(in.shapes) != blocks {
		t.Errorf("%d shapes recorded, want one per block: %d", len(in.shapes), blocks)
	}
	if in.knownShape(strings.Replace(block, "  ", "   ", 1)) || in.knownShape(strings.Replace(block, "job-b-longer", `"0job"`, 1)) {
		t.Error("another indentation or value style taken for the proven shape")
	}
}

// TestRenderSharedNode: a collection that is the value of several keys of a block (a job's
// label list) is written once per column and then copied: the block reads back as the tree
// whether the node recurs at the column it was written at or deeper.
func TestRenderSharedNode(t *testing.T) {
	shared := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{recipe.Scalar("x"), recipe.Scalar("y z")}}
	inner := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{recipe.Scalar("c"), shared}}
	value := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		recipe.Scalar("a"), shared, recipe.Scalar("b"), shared, recipe.Scalar("inner"), inner}}
	want := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{recipe.Scalar("top"), value}}
	for _, src := range []string{"k: 1\n", "k:\n    m:\n    - 1\n", "k: 1\r\n"} { // unit 2; unit 4, compact; CRLF
		doc, err := ParseDocument([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		text := newSource([]byte(src), doc.Content[0]).renderKey(0, "top", value)
		var got yaml.Node
		if err := yaml.Unmarshal([]byte(text), &got); err != nil || !equalNodes(got.Content[0], want) {
			t.Errorf("layout of %q: rendered\n%s\ndoes not read back as the tree (%v)", src, text, err)
		}
		if n := strings.Count(text, "- x"); n != 3 {
			t.Errorf("layout of %q: the list written %d times, want 3:\n%s", src, n, text)
		}
	}
}

// TestParseWindowCache: a window text's parse is kept when the text is at most maxWindowText
// bytes, for at most maxWindows texts, refusals included, and a kept parse is what parsing the
// text again gives.
func TestParseWindowCache(t *testing.T) {
	windowRoots.Lock()
	saved := windowRoots.m
	windowRoots.m = map[string]*yaml.Node{}
	windowRoots.Unlock()
	t.Cleanup(func() {
		windowRoots.Lock()
		windowRoots.m = saved
		windowRoots.Unlock()
	})
	entry := func(n int) []byte { // "k: [v...]\n", n bytes
		return []byte("k: [" + strings.Repeat("v", n-6) + "]\n")
	}
	for _, n := range []int{maxWindowText, maxWindowText + 1} {
		text := entry(n)
		root := parseWindow(text)
		if root == nil || root.Kind != yaml.MappingNode || root.Content[1].Content[0].Value != strings.Repeat("v", n-6) {
			t.Fatalf("%d bytes: parsed as %v", n, root)
		}
		_, kept := windowRoots.m[string(text)]
		if kept != (n <= maxWindowText) || parseWindow(text) != root && kept {
			t.Errorf("%d bytes: kept %v (cached parse returned again: %v)", n, kept, parseWindow(text) == root)
		}
	}
	for _, bad := range []string{"k: [\n", "a: 1\n---\nb: 2\n", "# nothing\n"} {
		if parseWindow([]byte(bad)) != nil || parseWindow([]byte(bad)) != nil {
			t.Errorf("%q: a root, want none (one document, parsed completely)", bad)
		}
		if root, ok := windowRoots.m[bad]; !ok || root != nil {
			t.Errorf("%q: refusal not kept", bad)
		}
	}
	for i := 0; len(windowRoots.m) < maxWindows+10; i++ {
		before := len(windowRoots.m)
		parseWindow([]byte(strings.Repeat("k", 1+i%50) + ": " + strings.Repeat("x", 1+i/50) + "\n"))
		if len(windowRoots.m) == before {
			if before != maxWindows {
				t.Fatalf("stopped keeping at %d texts, want %d", before, maxWindows)
			}
			return
		}
	}
	t.Fatalf("kept %d texts, more than %d", len(windowRoots.m), maxWindows)
}

// TestLineIndex: the line index holds each line's start, the last line's break starting none,
// in one allocation sized for every break.
func TestLineIndex(t *testing.T) {
	for _, src := range []string{"", "a", "a\n", "a\nb", "\n\n", "a\r\nb\r\n", "x\n\ny\nz"} {
		want := []int{0}
		for i := 0; i < len(src); i++ {
			if src[i] == '\n' && i+1 < len(src) {
				want = append(want, i+1)
			}
		}
		s := newSource([]byte(src), &yaml.Node{Kind: yaml.MappingNode})
		if fmt.Sprint(s.lineStart) != fmt.Sprint(want) || cap(s.lineStart) != strings.Count(src, "\n")+1 {
			t.Errorf("%q: line starts %v (cap %d), want %v (cap %d)", src, s.lineStart, cap(s.lineStart), want, strings.Count(src, "\n")+1)
		}
	}
}
