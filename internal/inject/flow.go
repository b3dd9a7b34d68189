package inject

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// flowScan describes a flow collection ("[...]" or "{...}", JSON included) in the source.
type flowScan struct {
	open, close int  // offsets of the brackets
	lastSig     int  // offset just past the last significant byte before close
	comma       bool // that byte is a trailing comma
	comment     bool // a comment inside the brackets
}

// scanFlow finds the bracket closing the flow collection opened at src[open], skipping quoted
// scalars and comments.
func scanFlow(src []byte, open int) (flowScan, bool) {
	f := flowScan{open: open, lastSig: open + 1}
	depth := 0
	for i := open; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '#':
			if i > 0 && (src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n') {
				f.comment = true
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(src); i++ {
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				f.close = i
				return f, true
			}
		}
		if i >= len(src) {
			return f, false
		}
		if depth == 1 && i > open {
			f.lastSig, f.comma = i+1, c == ','
		}
	}
	return f, false
}

// flowSplice edits a flow collection: new entries are written as JSON (valid YAML flow too), on
// their own lines when the collection is laid out one entry per line.
func (s *source) flowSplice(e edit) ([]splice, bool) {
	target := e.path[len(e.path)-1]
	open := s.offset(target)
	if open < 0 || open >= len(s.src) || (s.src[open] != '{' && s.src[open] != '[') {
		return nil, false
	}
	f, ok := scanFlow(s.src, open)
	if !ok {
		return nil, false
	}
	openLine := lineAt(s, open)
	closeLine := lineAt(s, f.close)
	pretty := closeLine != openLine
	entryIndent, unit := 0, 2
	if pretty {
		base := indentOf(s.line(closeLine))
		entryIndent = base + 2
		if len(target.Content) > 0 && target.Content[0].Line != openLine {
			entryIndent = target.Content[0].Column - 1
		}
		if entryIndent > base {
			unit = entryIndent - base
		}
	}

	var entries []string
	switch e.op {
	case opSetValue:
		// A string replaced by its JSON text, valid in any flow collection (the managed-metrics
		// annotation on a configuration change).
		if old := target.Content[keyIndex(target, e.key)+1]; e.value.Kind == yaml.ScalarNode && e.value.Tag == "!!str" && !isNull(old) {
			if sp, ok := s.replaceScalar(old, e.value); ok {
				return []splice{plain(sp[0].start, sp[0].end, quote(e.value.Value))}, true
			}
		}
		return nil, false
	case opAddKey:
		entries = []string{quote(e.key) + ": " + s.toJSON(e.value, pretty, entryIndent, unit)}
	case opSpliceSeq:
		if len(e.remove) > 0 {
			if f.comment {
				return nil, false // a rewrite would drop the comments: re-encoding keeps them
			}
			// Rewrite the whole list: our old entries go, everything else stays in order, the
			// user's flow entries in their own text.
			items := spliceItems(target.Content, e)
			kept := map[*yaml.Node]string{}
			for _, item := range items { // ours have no position: written as JSON
				if at := s.offset(item); at >= 0 && at < len(s.src) && (s.src[at] == '{' || s.src[at] == '[') {
					if g, ok := scanFlow(s.src, at); ok {
						kept[item] = string(s.src[at : g.close+1])
					}
				}
			}
			base := indentOf(s.line(openLine))
			var b strings.Builder
			if !s.writeJSON(&b, &yaml.Node{Kind: yaml.SequenceNode, Content: items}, pretty, base, unit, kept) {
				return nil, false
			}
			return []splice{plain(open, f.close+1, b.String())}, true
		}
		for _, item := range e.items {
			entries = append(entries, s.toJSON(item, pretty, entryIndent, unit))
		}
	default:
		return nil, false
	}

	var b strings.Builder
	needComma := len(target.Content) > 0 && !f.comma
	for _, entry := range entries {
		if needComma {
			b.WriteString(",")
		}
		if pretty {
			b.WriteString(s.eol)
			b.WriteString(strings.Repeat(" ", entryIndent))
		} else if needComma || f.comma {
			b.WriteString(" ")
		}
		b.WriteString(entry)
		needComma = true
	}
	return []splice{plain(f.lastSig, f.lastSig, b.String())}, true
}

// spliceItems returns a sequence's items with e's removals made and e's items inserted at e.at.
func spliceItems(content []*yaml.Node, e edit) []*yaml.Node {
	removed := map[int]bool{}
	for _, i := range e.remove {
		removed[i] = true
	}
	var out []*yaml.Node
	for i, item := range content {
		if i == e.at {
			out = append(out, e.items...)
		}
		if !removed[i] {
			out = append(out, item)
		}
	}
	if e.at >= len(content) {
		out = append(out, e.items...)
	}
	return out
}

func lineAt(s *source, off int) int {
	lo, hi := 0, len(s.lineStart)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.lineStart[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1
}

// toJSON renders a node we generated (string scalars, mappings, sequences) as JSON.
func (s *source) toJSON(n *yaml.Node, pretty bool, indent, unit int) string {
	text, _ := s.genericJSON(n, pretty, indent, unit)
	return text
}

// genericJSON renders any alias-free node as JSON (see writeJSON).
func (s *source) genericJSON(n *yaml.Node, pretty bool, indent, unit int) (string, bool) {
	var b strings.Builder
	ok := s.writeJSON(&b, n, pretty, indent, unit, nil)
	return b.String(), ok
}

// writeJSON renders any alias-free node as JSON, keeping key order, or as its text in kept.
// Numbers, booleans and nulls keep their YAML meaning; anything JSON cannot spell as YAML does
// is refused.
func (s *source) writeJSON(b *strings.Builder, n *yaml.Node, pretty bool, indent, unit int, kept map[*yaml.Node]string) bool {
	if text, ok := kept[n]; ok {
		b.WriteString(text)
		return true
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			b.WriteString(quote(n.Value))
		case "!!null":
			b.WriteString("null")
		case "!!bool":
			v, err := strconv.ParseBool(strings.ToLower(n.Value))
			if err != nil {
				return false
			}
			b.WriteString(strconv.FormatBool(v))
		case "!!int", "!!float":
			if !json.Valid([]byte(n.Value)) {
				return false
			}
			b.WriteString(n.Value)
		default:
			return false
		}
		return true
	case yaml.MappingNode, yaml.SequenceNode:
		openB, closeB, step := "[", "]", 1
		if n.Kind == yaml.MappingNode {
			openB, closeB, step = "{", "}", 2
		}
		b.WriteString(openB)
		for i := 0; i < len(n.Content); i += step {
			if i > 0 {
				b.WriteString(",")
				if !pretty {
					b.WriteString(" ")
				}
			}
			if pretty {
				b.WriteString(s.eol)
				b.WriteString(strings.Repeat(" ", indent+unit))
			}
			if step == 2 {
				if k := n.Content[i]; k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
					return false
				}
				b.WriteString(quote(n.Content[i].Value))
				b.WriteString(": ")
			}
			if !s.writeJSON(b, n.Content[i+step-1], pretty, indent+unit, unit, kept) {
				return false
			}
		}
		if pretty && len(n.Content) > 0 {
			b.WriteString(s.eol)
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(closeB)
		return true
	}
	return false
}

// quote writes a double-quoted scalar that is valid both as YAML and as JSON: quotes,
// backslashes and every character YAML does not allow raw (controls, DEL, C1, U+FFFE/U+FFFF)
// are escaped.
func quote(v string) string { return string(appendQuoted(make([]byte, 0, len(v)+2), v)) }

// appendQuoted is quote appending to dst.
func appendQuoted(dst []byte, v string) []byte {
	dst = append(dst, '"')
	for i := 0; ; {
		// A run of printable ASCII other than quotes and backslashes is written as it is.
		j := i
		for j < len(v) && v[j] > 0x1f && v[j] < 0x7f && v[j] != '"' && v[j] != '\\' {
			j++
		}
		dst = append(dst, v[i:j]...)
		if j == len(v) {
			break
		}
		r, size := utf8.DecodeRuneInString(v[j:])
		i = j + size
		switch {
		case r == '"':
			dst = append(dst, `\"`...)
		case r == '\\':
			dst = append(dst, `\\`...)
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0xfffe, r == 0xffff:
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
