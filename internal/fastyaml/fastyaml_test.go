package fastyaml_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argocorpus"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/fastyaml"
)

// edgeCases aim at what the speed changes touch: the text the reader takes whole or leaves to
// go-yaml's reader (byte order marks, characters YAML refuses, invalid UTF-8), where a plain
// scalar's fast run must stop (": " and ":" before every kind of break, "#", flow indicators,
// non-ASCII characters, markers at column 0, folding), at the buffer's end and across go-yaml's
// 512-byte reading rounds; which scalars are pieces of the text and which are joined or
// unescaped; and the comments the node builder moves between the children of a collection.
var edgeCases = []string{
	"", "\n", "# only a comment\n", "a: b", "a: b\n", "\xef\xbb\xbfa: b\n", "\xef\xbb\xbf", "\xff\xfea\x00:\x00 \x00b\x00\n\x00",
	"\xfe\xff\x00a\x00:\x00 \x00b\x00\n", "a: \x01\n", "a: b\x7f\n", "a: \u0085b\n", "a: b\u0085c: d\n", "a: \u00a0b\n",
	"a: \u2028b\n", "a: b\u2029\n", "a: \ufeffb\n", "a: \ufffeb\n", "a: \U0001F600\n", "a: \xc3\x28\n", "a: \xed\xa0\x80\n",
	"a:b\n", "a:b: c\n", "a: b:c\n", "a: b:\u0085c\n", "a: b:\u2028c\n", "a: b:\tc\n", "a: b:\rc\n", "a: b:\r\nc\n", "a: b:",
	"a#b: c\n", "a: b#c\n", "a: b #c\n", "a: b\t#c\n", "[a,b, c:d, e: f]\n", "{a: b,c, d:e}\n", "{a: [b,c]}\n", "a: [b]c\n",
	"a: b?c\n", "? a\n: b\n", "- a\n- b c\n-  d\n", "a: b\n  c\n\n  d\n", "a: b\n---\nc: d\n", "a: b\n...\n", "a: --- b\n",
	"a: b\n--- c\n", "a: b\n...x\n", "---x: y\n", "a: -b\n", "a: é-ü\n", "a: ñ:b\n", "a: 'x'\n", "a: \"x\\u00e9\"\n",
	"a: |\n  x\n  y\n", "a: >\n  x\n\n  y\n", "a: b\r\nc: d\r\n", "a:\tb\n", "\ta: b\n", "a: b\n\tc: d\n", "a: &x b\nc: *x\n",
	"a: *x\n", "a: !!str 1\nb: !foo x\n", "%YAML 1.2\n---\na: b\n", "%TAG ! tag:x,2000:\n---\na: !y b\n", "a: \"unterminated\n",
	"[\n", "{a: b\n", "a: b\n c: d\n", "a:\n  - b\n - c\n", "key: |\n", "a: b\n\x00", "a: b\x00c\n", "- - - a\n", "a: 0x1F\nb: 1_000\nc: .5\nd: 2001-12-14\ne: ~\nf: <<\n",
	"[0b101, -0b1, 0b2, 0o17, -0o7, 0o9, 0777, 0x_1F, 1e3, +.5, .5e, .inf, -.INF, +.Inf, .NaN, 1_000_000, 9223372036854775808,\n" +
		" 18446744073709551616, -9223372036854775809, 0b11111111111111111111111111111111111111111111111111111111111111111, 2001-12-14t21:59:43.10Z,\n" +
		" 2001-12-14 21:59:43.10 -5, 2001-12-14 21:59:43.10, 2002-1-2, 20011-12-14, +12, -, +, ., ._, 1., -.5, 0., 1__0, ~, Null, NO, y, on, <<, 1___0, 1_0_, '1', !!int 1]\n",
	"a:    \n", "a: b   ", "   ", "  # c\n", "a:\n\t  b\n", "a:\n  \t b\n", "- \t- a\n", "a: [b,   c  ,d ]\n", "a:\n" + strings.Repeat(" ", 600) + "b: c\n",
	strings.Repeat("k: v\n", 200), "a: " + strings.Repeat("x", 1500) + "\n", "a: " + strings.Repeat("é", 700) + ":b\n",
	strings.Repeat(" ", 509) + "a: b:c\n", strings.Repeat("#\n", 255) + "a: b\n",
	// quoted scalars, which the fast path takes as they stand only on one line without escapes
	"a: \"\"\n", "a: ''\n", "a: \"x y\tz \"\n", "a: ' x '\n", "a: 'it''s'\n", "a: 'x'''\n", "a: ''''\n", "a: \"a\\\"b\"\n",
	"a: \"a\\\\\"\n", "a: \"a\\\n  b\"\n", "a: \"x\n  y\"\n", "a: 'x\n\n  y'\n", "a: \"x \n y\"\n", "a: \"é\"\n", "a: 'é'\n", "a: \"x", "a: 'x",
	"a: \"x\"", "a: 'x'", "\"a\": \"b\"\n'c': 'd'\n", "a: \"\x7f\"\n", "a: \"\x01\"\n", "a: \"b\"c\n", "a: 'b'c\n", "[\"a\",'b', \"c\" ]\n",
	"{\"a\":\"b\", 'c':'d'}\n", "a: \"" + strings.Repeat("y", 1500) + "\"\n", "- \"a\"\n- 'b'\n- \"\"\n", "a: \"b\" # c\n", "a: \"\t\"\n",
	"a: \"\r\"\n", "a: '\u0085'\n", "a: \"x\r\n  y\"\r\n", strings.Repeat(" ", 508) + "a: \"b c\"\n",
	// plain values that share the text, and ones that are joined
	"a: b c\n", "a: b  c  \n", "a: b\n  c\n", "a: b\n\n\n  c d\n", "a: b\r\n  c\r\n", "a: x\u2028  y\n", "- a b\n- c\n",
	// children gathered on one stack: foot and tail comments moved between siblings
	"a:\n  b: c\n  # foot\nd: e\n", "- a\n# foot\n- b\n", "a: b\n# tail\n", "a:\n  - b\n  # f\nc: d\n",
	"a:\n  b:\n    c: d\n    # f1\n  # f2\n# f3\ne: f\n", "- - a\n  # f\n- b\n", "{a: b, # c\n d: e}\n", "a: {}\nb: []\nc: {d: []}\n",
}

// decodeAll reads every document of src as go-yaml's Decoder does, up to the first error.
func decodeAll(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return docs, err
		}
		docs = append(docs, &n)
	}
}

func parseAll(src []byte) ([]*yaml.Node, error) {
	p := fastyaml.NewParser(src)
	var docs []*yaml.Node
	for {
		n, err := p.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return docs, err
		}
		docs = append(docs, n)
	}
}

// same fails unless fastyaml and go-yaml read src identically: the same documents node for
// node (lines, columns, styles, tags, comments, aliases) and the same error.
func same(t *testing.T, name string, src []byte) {
	t.Helper()
	want, wantErr := decodeAll(src)
	got, gotErr := parseAll(src)
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Errorf("%s: error %v, go-yaml's %v", name, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the trees differ from go-yaml's (%d and %d documents)", name, len(got), len(want))
	}
}

func TestSameAsGoYAML(t *testing.T) {
	for i, c := range edgeCases {
		same(t, fmt.Sprintf("edge case %d %q", i, c), []byte(c))
	}
	var files []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" || strings.Contains(path, filepath.Join("testdata", "fuzz")) && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	examples, err := argocorpus.Examples()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 || len(examples) < 100 {
		t.Fatalf("corpus too small: %d files of this repository, %d Argo examples", len(files), len(examples))
	}
	for _, path := range append(files, examples...) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		same(t, path, data)
	}
	t.Logf("%d edge cases, %d files of this repository, %d Argo examples", len(edgeCases), len(files), len(examples))
	var stream bytes.Buffer
	if err := benchgen.Write(&stream, 300, 60); err != nil {
		t.Fatal(err)
	}
	same(t, "benchmark stream", stream.Bytes())
}

func FuzzSameAsGoYAML(f *testing.F) {
	for _, c := range edgeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) { same(t, "input", src) })
}
