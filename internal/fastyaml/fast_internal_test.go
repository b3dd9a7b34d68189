package fastyaml

import (
	"strings"
	"testing"
	"unsafe"
)

// The fast paths only ever do less than go-yaml's own code, which then does the rest, so
// TestSameAsGoYAML cannot tell whether they are taken: these tests say where they must be.

func TestWholeInputTaken(t *testing.T) {
	for in, runes := range map[string]int{
		"a: b\n": 5, "\xef\xbb\xbfa: b\n": 5, "a:\tb\r\n": 6, "a: é\n": 5, "a: \u0085\u00a0\ud7ff\ue000\ufffd\U00010000\U0010ffff\n": 11,
		" !\"#~": 5, "\xef\xbb\xbf": 0,
	} {
		var p yaml_parser_t
		if !NewParser([]byte(in)).Whole() || !yaml_parser_whole_input(&p, []byte(in)) {
			t.Errorf("%q: not taken whole", in)
			continue
		}
		text := strings.TrimPrefix(in, "\xef\xbb\xbf")
		if string(p.buffer) != text+"\x00" || p.unread != runes+1 || !p.whole || p.encoding != yaml_UTF8_ENCODING {
			t.Errorf("%q: buffer %q, unread %d, want %q and %d", in, p.buffer, p.unread, text+"\x00", runes+1)
		}
	}
	for _, in := range []string{"a: \x01\n", "\x00", "\x1f", "\x7f", "\u0080", "\u009f", "\u0084", "\ufffe", "\uffff", "\xff\xfea\x00", "a: \xc3\x28", "\xed\xa0\x80", "\x80", "a\x80b"} {
		var p yaml_parser_t
		if NewParser([]byte(in)).Whole() || yaml_parser_whole_input(&p, []byte(in)) || p.buffer != nil {
			t.Errorf("%q: taken whole, but go-yaml's reader refuses it", in)
		}
	}
}

func TestPlainRunTaken(t *testing.T) {
	for _, c := range []struct {
		in, run string
		flow    bool
	}{
		{"abc d", "abc", false}, {"abc\td", "abc", false}, {"ab:c d", "ab:c", false}, {"ab: c", "ab", false},
		{"ab:\tc", "ab", false}, {"ab:\nc", "ab", false}, {"ab:", "ab", false}, {"ab:\u0085c", "ab", false},
		{"ab:éc", "ab", false}, {"a#b c", "a#b", false}, {"a,b?c[d]e{f}g h", "a,b?c[d]e{f}g", false},
		{"a,b", "a", true}, {"a?b", "a", true}, {"a[b", "a", true}, {"a]b", "a", true}, {"a{b", "a", true},
		{"a}b", "a", true}, {"a:b,c", "a:b", true}, {"a~!\"$%&'()*+-./;<=>@\\^_`|é", "a~!\"$%&'()*+-./;<=>@\\^_`|", false},
		{"a\x7f", "a", false}, {" a", "", false}, {"\x00", "", false},
	} {
		p := yaml_parser_t{buffer: append([]byte(c.in), 0), unread: 100}
		if c.flow {
			p.flow_level = 1
		}
		yaml_parser_skip_plain_run(&p)
		n := len(c.run)
		if s := p.buffer[:p.buffer_pos]; string(s) != c.run || p.buffer_pos != n || p.mark.index != n || p.mark.column != n || p.unread != 100-n {
			t.Errorf("%q (flow %v): run to %d (index %d, column %d, unread %d), want %q", c.in, c.flow, p.buffer_pos, p.mark.index, p.mark.column, p.unread, c.run)
		}
	}
}

func TestSpacesSkipped(t *testing.T) {
	for in, n := range map[string]int{"   a": 3, "a": 0, " \ta": 1, "    ": 4} {
		p := yaml_parser_t{buffer: append([]byte(in), 0), unread: 100, mark: yaml_mark_t{line: 2}}
		yaml_parser_skip_spaces(&p)
		if p.buffer_pos != n || p.mark.index != n || p.mark.column != n || p.unread != 100-n || p.mark.line != 2 {
			t.Errorf("%q: skipped to %d (index %d, column %d, unread %d), want %d", in, p.buffer_pos, p.mark.index, p.mark.column, p.unread, n)
		}
	}
}

func TestValuesShareText(t *testing.T) {
	src := "a: bcd\nb: \"x y\"\nc: 'z'\nd: e f\ne: 'it''s'\nf: \"g\\th\"\ng: \"i\tj\"\nh: x\n  z2\n"
	want := map[string]bool{
		"a": true, "bcd": true, "b": true, "x y": true, "c": true, "z": true, "d": true, "e f": false,
		"e": true, "it's": false, "f": true, "g\th": false, "g": true, "i\tj": true, "h": true, "x z2": false,
	}
	p := newParser([]byte(src))
	doc := p.parse()
	buf := p.parser.buffer
	inBuffer := func(v string) bool {
		d := uintptr(unsafe.Pointer(unsafe.StringData(v)))
		b := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
		return d >= b && d < b+uintptr(len(buf))
	}
	for _, n := range doc.Content[0].Content {
		if shared, ok := want[n.Value]; !ok {
			t.Errorf("unexpected scalar %q", n.Value)
		} else if inBuffer(n.Value) != shared {
			t.Errorf("%q: shares the text %v, want %v", n.Value, inBuffer(n.Value), shared)
		}
	}
}

// TestWholeInputReadsAsGoYAML steps a whole input's reader and go-yaml's own through the same
// text, asking for 1 to 4 characters at each step as the scanner does: both must then show the
// scanner the same characters, NULs past the end included. (Their counts of unread characters
// may differ by the NUL go-yaml's reader counts on its first read: a count only decides when
// the reader is asked again, and the differential tests hold the trees and errors equal.)
func TestWholeInputReadsAsGoYAML(t *testing.T) {
	for _, in := range []string{"a", "ab: c\n", "é: ü", "- x\r\n", "a: b\n" + strings.Repeat("c", 700)} {
		for length := 1; length <= 4; length++ {
			var whole, reader yaml_parser_t
			if !yaml_parser_whole_input(&whole, []byte(in)) {
				t.Fatalf("%q: not taken whole", in)
			}
			yaml_parser_initialize(&reader)
			yaml_parser_set_input_string(&reader, []byte(in))
			for step := 0; step <= len(in)+3; step++ {
				if !yaml_parser_update_buffer(&whole, length) || !yaml_parser_update_buffer(&reader, length) {
					t.Fatalf("%q: update_buffer failed at step %d", in, step)
				}
				if len(whole.buffer)-whole.buffer_pos < length {
					t.Fatalf("%q, length %d, step %d: %d bytes left in the buffer", in, length, step, len(whole.buffer)-whole.buffer_pos)
				}
				w, r := whole.buffer[whole.buffer_pos:whole.buffer_pos+length], reader.buffer[reader.buffer_pos:reader.buffer_pos+length]
				if string(w) != string(r) {
					t.Fatalf("%q, length %d, step %d: the scanner sees %q, in go-yaml %q", in, length, step, w, r)
				}
				if !is_z(whole.buffer, whole.buffer_pos) {
					skip(&whole)
					skip(&reader)
				}
			}
		}
	}
}
