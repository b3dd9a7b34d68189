package inject

import (
	"encoding/json"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestLinesAgreeWithGoYAML: the source's lines and columns are go-yaml's, whatever the line
// breaks (LF, CR LF, CR, NEL, LS, PS, mixed): every key's position finds the key's own text.
func TestLinesAgreeWithGoYAML(t *testing.T) {
	for _, br := range []string{"\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029", "\r\n", "\n"} {
		for _, sep := range [][]string{{br, br, br}, {"\n", br, "\r"}, {br, "\r\n", "\u2029"}} {
			src := "a: 1" + sep[0] + "b:" + sep[1] + "  c: é" + sep[2] + "  dé: [x, y]" + sep[0] + "# end" + sep[1]
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
				t.Fatalf("%q: %v", src, err)
			}
			s := newSource([]byte(src), doc.Content[0])
			var walk func(n *yaml.Node)
			walk = func(n *yaml.Node) {
				if n.Kind == yaml.ScalarNode {
					off := s.offset(n)
					if off < 0 || !strings.HasPrefix(src[off:], n.Value) || s.lineOf(off) != n.Line {
						t.Errorf("%q: %q at line %d column %d: offset %d", src, n.Value, n.Line, n.Column, off)
					}
				}
				for _, c := range n.Content {
					walk(c)
				}
			}
			walk(&doc)
			if s.eol != "\n" && s.eol != "\r\n" && s.eol != "\r" {
				t.Errorf("%q: inserted lines would end in %q", src, s.eol)
			}
		}
	}
}

// TestQuote: quote writes printable characters as they are and escapes every one YAML does
// not allow raw or reads as a line break; the result reads back as the same string in JSON and
// in YAML.
func TestQuote(t *testing.T) {
	raw := []rune{' ', '~', 'a', 0xa0, 'é', 0xfffd, 0xfffc, 0x10000}
	escaped := map[rune]string{0: `\u0000`, 0x1f: `\u001f`, '\n': `\n`, '\t': `\t`, '\r': `\r`, '"': `\"`, '\\': `\\`,
		0x7f: `\u007f`, 0x80: `\u0080`, 0x85: `\u0085`, 0x9f: `\u009f`, 0x2028: `\u2028`, 0x2029: `\u2029`, 0xfffe: `\ufffe`, 0xffff: `\uffff`}
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
