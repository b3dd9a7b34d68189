package inject

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// flowScan describes a flow collection ("[...]" or "{...}", JSON included) in the source.
type flowScan struct {
	open, close int  // offsets of the brackets
	lastSig     int  // offset just past the last byte of an entry or comma before close
	comma       bool // that byte is a trailing comma
}

// scanFlow finds the bracket closing the flow collection opened at src[open]. It reads the
// tokens YAML's flow context has: quoted scalars start only where a token starts (an apostrophe
// inside a plain scalar, "it's", is part of it), comments only after white space, and plain
// scalars end at flow indicators.
func scanFlow(src []byte, open int) (flowScan, bool) {
	f := flowScan{open: open, lastSig: open + 1}
	depth := 0
	plain := false // inside a plain scalar
	for i := open; i < len(src); i++ {
		c := src[i]
		sig := true
		switch {
		case c == ' ' || c == '\t':
			continue
		case breakLen(src, i) > 0:
			i += breakLen(src, i) - 1
			continue
		case c == '#' && afterSpace(src, i):
			_, next := lineAt(src, i)
			i = next - 1
			plain = false
			continue
		case plain && c != ',' && c != '[' && c != ']' && c != '{' && c != '}' && !(c == ':' && indicatorColon(src, i)):
			// more of the plain scalar
		case c == '"' || c == '\'':
			end, ok := quotedEnd(src, i)
			if !ok {
				return f, false
			}
			i = end - 1
		case c == '[' || c == '{':
			depth++
			plain = false
		case c == ']' || c == '}':
			depth--
			plain = false
			if depth == 0 {
				f.close = i
				return f, true
			}
		case c == ',' || c == ':' && indicatorColon(src, i) || c == '?' && i+1 < len(src) && (src[i+1] == ' ' || src[i+1] == '\t' || breakLen(src, i+1) > 0):
			plain = false
		case c == '&' || c == '!' || c == '*':
			i = propEnd(src, i) - 1
		default:
			plain = true
		}
		if sig && depth == 1 && i > open {
			f.lastSig, f.comma = i+1, c == ','
		}
	}
	return f, false
}

// indicatorColon reports whether the ":" at src[i] is a mapping value indicator in flow
// context: followed by white space, a line break, a flow indicator or the end, or right after
// a quoted key (JSON's "k":v).
func indicatorColon(src []byte, i int) bool {
	if i+1 == len(src) || strings.IndexByte(" \t,[]{}", src[i+1]) >= 0 || breakLen(src, i+1) > 0 {
		return true
	}
	return i > 0 && (src[i-1] == '"' || src[i-1] == '\'')
}

// quotedEnd returns the offset just past the quoted scalar that starts at src[i].
func quotedEnd(src []byte, i int) (int, bool) {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch {
		case q == '"' && src[j] == '\\':
			j++
		case src[j] == q && q == '\'' && j+1 < len(src) && src[j+1] == '\'':
			j++
		case src[j] == q:
			return j + 1, true
		}
	}
	return 0, false
}

// flowSplice edits a flow collection, or a value inside one: new entries are written as JSON
// (valid YAML flow too), on their own lines when the collection is laid out one entry per line.
func (s *source) flowSplice(e *edit) ([]splice, error) {
	target := e.path[len(e.path)-1]
	if e.op == opSetValue {
		return s.flowSetValue(e, target)
	}
	open := s.skipProps(s.offset(target))
	if open >= len(s.src) || (s.src[open] != '{' && s.src[open] != '[') {
		return nil, fmt.Errorf("the flow collection at line %d not found", target.Line)
	}
	f, ok := scanFlow(s.src, open)
	if !ok {
		return nil, fmt.Errorf("the end of the flow collection at line %d not found", target.Line)
	}
	openLine, closeLine := s.lineOf(open), s.lineOf(f.close)
	pretty := closeLine != openLine
	base := indentOf(s.line(openLine))
	entryIndent := base + s.unit
	if len(target.Content) > 0 {
		if first := target.Content[0]; first.Line != openLine && s.entryStartsLine(first) {
			entryIndent = first.Column - 1
		}
	}
	unit := max(entryIndent-base, 1)
	if e.op == opSpliceSeq && len(e.remove) > 0 {
		return s.flowReplaceItems(e, target, pretty, entryIndent, unit)
	}
	var entries []string
	if e.op == opAddKey {
		entries = []string{quote(e.key) + ": " + s.toJSON(e.value, pretty, entryIndent, unit)}
	} else {
		for _, item := range e.items {
			entries = append(entries, s.toJSON(item, pretty, entryIndent, unit))
		}
	}
	if !pretty {
		text := strings.Join(entries, ", ")
		switch {
		case len(target.Content) == 0:
			return []splice{{open + 1, open + 1, text}}, nil
		case f.comma:
			return []splice{{f.lastSig, f.lastSig, " " + text}}, nil
		}
		return []splice{{f.lastSig, f.lastSig, ", " + text}}, nil
	}
	// One entry per line: the new ones go on lines of their own before the closing bracket (or
	// after the opening one, when the list is empty), after any comment; a comma follows the
	// last entry if it has none.
	var out []splice
	if len(target.Content) > 0 && !f.comma {
		out = append(out, splice{f.lastSig, f.lastSig, ","})
	}
	closeStart := s.starts[closeLine-1]
	if isBlank(s.src[closeStart:f.close]) && s.lineOf(f.lastSig) < closeLine {
		// The bracket starts its line: the entries go on lines before it.
		var b strings.Builder
		for i, entry := range entries {
			b.WriteString(strings.Repeat(" ", entryIndent) + entry)
			if i < len(entries)-1 {
				b.WriteString(",")
			}
			b.WriteString(s.eol)
		}
		return append(out, splice{closeStart, closeStart, b.String()}), nil
	}
	var b strings.Builder
	for i, entry := range entries {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(s.eol + strings.Repeat(" ", entryIndent) + entry)
	}
	return append(out, splice{f.lastSig, f.lastSig, b.String()}), nil
}

// entryStartsLine reports whether node n is the first thing on its line.
func (s *source) entryStartsLine(n *yaml.Node) bool {
	off := s.offset(n)
	return off >= 0 && isBlank(s.src[s.starts[n.Line-1]:off])
}

// flowReplaceItems removes our earlier items from a flow sequence, and writes the new ones where
// the first of them stood: each other removed item goes with the comma before it.
func (s *source) flowReplaceItems(e *edit, seq *yaml.Node, pretty bool, indent, unit int) ([]splice, error) {
	var out []splice
	for k, i := range e.remove {
		item := seq.Content[i]
		start := s.offset(item)
		end, _, err := s.end(item, e.path)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			sep := ", "
			if pretty {
				sep = "," + s.eol + strings.Repeat(" ", s.column(start))
			}
			var texts []string
			for _, it := range e.items {
				texts = append(texts, s.toJSON(it, pretty, s.column(start), unit))
			}
			out = append(out, splice{start, end, strings.Join(texts, sep)})
			continue
		}
		prevEnd, _, err := s.end(seq.Content[i-1], e.path)
		if err != nil {
			return nil, err
		}
		comma := prevEnd
		for comma < start && s.src[comma] != ',' {
			if s.src[comma] == '#' && afterSpace(s.src, comma) {
				_, comma = lineAt(s.src, comma)
				continue
			}
			comma++
		}
		if comma >= start {
			return nil, fmt.Errorf("no comma before the list item at line %d", item.Line)
		}
		out = append(out, splice{comma, comma + 1, ""}, splice{start, end, ""})
	}
	return out, nil
}

// flowSetValue replaces the value of a key in a flow mapping, a null or our own annotation
// value, by JSON text.
func (s *source) flowSetValue(e *edit, m *yaml.Node) ([]splice, error) {
	i := keyIndex(m, e.key)
	if i < 0 {
		return nil, fmt.Errorf("cannot edit the mapping at line %d", m.Line)
	}
	k, old := m.Content[i], m.Content[i+1]
	line := s.lineOf(s.offset(k))
	base := indentOf(s.line(line))
	if !isNull(old) {
		sp, err := s.replaceScalar(old, quote(e.value.Value), true)
		return []splice{sp}, err
	}
	if old.Anchor != "" {
		e.value.Anchor = old.Anchor
	}
	text := s.toJSON(e.value, false, base, s.unit)
	start, end, err := s.nullText(old)
	if err != nil {
		return nil, err
	}
	if end > start {
		return []splice{{start, end, text}}, nil
	}
	// No text of its own: "{k: }", "{k}", or "k: &a". The value goes after the ":" (or the key,
	// with one), after the anchor if there is one.
	at := s.propsEnd(start)
	if at > start {
		return []splice{{at, at, " " + text}}, nil
	}
	keyEnd, _, err := s.end(k, e.path)
	if err != nil {
		return nil, err
	}
	p := keyEnd
	for p < len(s.src) && (s.src[p] == ' ' || s.src[p] == '\t') {
		p++
	}
	if p < len(s.src) && s.src[p] == ':' {
		return []splice{{p + 1, p + 1, " " + text}}, nil
	}
	return []splice{{keyEnd, keyEnd, ": " + text}}, nil
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

// toJSON renders a node we generated (string scalars, mappings, sequences) as JSON, one entry
// per line at indent+unit when pretty.
func (s *source) toJSON(n *yaml.Node, pretty bool, indent, unit int) string {
	var b strings.Builder
	s.writeJSON(&b, n, pretty, indent, unit)
	return b.String()
}

// writeJSON renders a node as JSON, keeping key order. Numbers, booleans and nulls keep their
// YAML meaning.
func (s *source) writeJSON(b *strings.Builder, n *yaml.Node, pretty bool, indent, unit int) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			b.WriteString("null")
		case "!!bool":
			v, _ := strconv.ParseBool(strings.ToLower(n.Value))
			b.WriteString(strconv.FormatBool(v))
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				b.WriteString(n.Value)
				return
			}
			fallthrough
		default:
			b.WriteString(quote(n.Value))
		}
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
				b.WriteString(quote(n.Content[i].Value))
				b.WriteString(": ")
			}
			s.writeJSON(b, n.Content[i+step-1], pretty, indent+unit, unit)
		}
		if pretty && len(n.Content) > 0 {
			b.WriteString(s.eol)
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(closeB)
	}
}

// quote writes a double-quoted scalar that is valid both as YAML and as JSON: quotes,
// backslashes and every character YAML does not allow raw (controls, DEL, C1, U+FFFE/U+FFFF)
// are escaped, and so are the line breaks go-yaml reads (NEL, LS, PS).
func quote(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029, r == 0xfffe, r == 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
