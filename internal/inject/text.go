package inject

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// source is one YAML document's original bytes with a line index. Lines are 1-based as in
// yaml.Node and end where go-yaml's do (lines.go); columns are 1-based runes.
type source struct {
	src       []byte
	starts    []int // offset of each line's first byte
	ends      []int // offset of each line's break (or the end of the source)
	eol       string
	unit      int // indentation step of nested mappings
	seqIndent int // indentation of a block sequence under its key: 0 (compact) or unit (wide)
}

func newSource(src []byte, root *yaml.Node) *source {
	s := &source{src: src, eol: ""}
	for off := 0; ; {
		end, next := lineAt(src, off)
		s.starts, s.ends = append(s.starts, off), append(s.ends, end)
		if s.eol == "" && next > end && src[end] != 0xc2 && src[end] != 0xe2 {
			s.eol = string(src[end:next]) // the document's own line break: LF, CR LF or CR
		}
		if next == end || next == len(src) {
			break // no line after a final line break
		}
		off = next
	}
	if s.eol == "" {
		s.eol = "\n"
	}
	s.unit, s.seqIndent = s.detectStyle(root)
	return s
}

func (s *source) lines() int { return len(s.starts) }

// line returns line l without its line break.
func (s *source) line(l int) []byte { return s.src[s.starts[l-1]:s.ends[l-1]] }

// lineEnd is the offset just past line l's line break (the end of the source for the last line).
func (s *source) lineEnd(l int) int {
	if l < len(s.starts) {
		return s.starts[l]
	}
	return len(s.src)
}

// lineOf returns the line holding offset off.
func (s *source) lineOf(off int) int { return sort.SearchInts(s.starts, off+1) }

func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

func isBlank(line []byte) bool { return len(bytes.Trim(line, " \t")) == 0 }

func isComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) > 0 && t[0] == '#'
}

// isDocMarker reports a "---" or "..." line, which ends any node before it.
func isDocMarker(line []byte) bool { return isMarker(line, "---") || isMarker(line, "...") }

// offset converts a node position to a byte offset.
func (s *source) offset(n *yaml.Node) int {
	if n.Line < 1 || n.Line > s.lines() {
		return -1
	}
	off := s.starts[n.Line-1]
	for col := 1; col < n.Column && off < s.ends[n.Line-1]; col++ {
		_, size := utf8.DecodeRune(s.src[off:])
		off += size
	}
	return off
}

// column returns the 0-based column (in runes) of offset off on its line.
func (s *source) column(off int) int {
	return utf8.RuneCount(s.src[s.starts[s.lineOf(off)-1]:off])
}

// detectStyle reads the document's indentation step and sequence style from its first nested
// mapping and first block sequence under a key, so inserted lines look like their neighbours.
func (s *source) detectStyle(root *yaml.Node) (unit, seqIndent int) {
	unit, seqIndent = -1, -1
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 || (unit >= 0 && seqIndent >= 0) {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 || v.Content[0].Line <= k.Line {
				continue
			}
			switch v.Kind {
			case yaml.MappingNode:
				if unit < 0 && v.Content[0].Column > k.Column {
					unit = v.Content[0].Column - k.Column
				}
				walk(v)
			case yaml.SequenceNode:
				if seqIndent < 0 {
					if d := s.dashColumn(v.Content[0]); d >= 0 && d >= k.Column-1 {
						seqIndent = d - (k.Column - 1)
					}
				}
				for _, item := range v.Content {
					walk(item)
				}
			}
		}
	}
	walk(root)
	if unit <= 0 {
		unit = 2
	}
	if seqIndent < 0 {
		seqIndent = unit
	}
	return unit, seqIndent
}

// dashAt returns the offset of the "-" that opens a block sequence item, or -1: on the item's
// line before it, or alone (a comment may follow) on a line above, blank and comment lines
// between.
func (s *source) dashAt(item *yaml.Node) int {
	off := s.offset(item)
	if off < 0 {
		return -1
	}
	start := s.starts[item.Line-1]
	i := off - 1
	for i >= start && (s.src[i] == ' ' || s.src[i] == '\t') {
		i--
	}
	if i >= start {
		if s.src[i] == '-' {
			return i
		}
		return -1
	}
	for l := item.Line - 1; l >= 1; l-- {
		line := s.line(l)
		if isBlank(line) || isComment(line) {
			continue
		}
		t := bytes.TrimLeft(line, " ")
		if t[0] == '-' && (len(t) == 1 || t[1] == ' ' || t[1] == '\t') && (len(bytes.Trim(t[1:], " \t")) == 0 || isComment(t[1:])) {
			return s.starts[l-1] + indentOf(line)
		}
		return -1
	}
	return -1
}

// dashColumn is the 0-based column of an item's "-", or -1.
func (s *source) dashColumn(item *yaml.Node) int {
	if d := s.dashAt(item); d >= 0 {
		return s.column(d)
	}
	return -1
}

// entryColumn is the 0-based column where the entries of block mapping m start: its first
// key's, or the "?" before it.
func (s *source) entryColumn(m *yaml.Node) int {
	k := m.Content[0]
	off := s.offset(k)
	if q := s.complexKeyAt(k); q >= 0 {
		off = q
	}
	return s.column(off)
}

// complexKeyAt returns the offset of the "?" that opens key k's entry, or -1.
func (s *source) complexKeyAt(k *yaml.Node) int {
	off := s.offset(k)
	i := off - 1
	for i >= s.starts[k.Line-1] && (s.src[i] == ' ' || s.src[i] == '\t') {
		i--
	}
	if i >= s.starts[k.Line-1] && i < off-1 && s.src[i] == '?' {
		return i
	}
	return -1
}

// entryStart returns the offset where the entry of key k starts its line (its "?" or the key),
// or -1 when something else stands before it on the line.
func (s *source) entryStart(k *yaml.Node) int {
	off := s.offset(k)
	if q := s.complexKeyAt(k); q >= 0 {
		off = q
	}
	if off < 0 || !isBlank(s.src[s.starts[k.Line-1]:off]) {
		return -1
	}
	return off
}

// splice replaces src[start:end] with text.
type splice struct {
	start, end int
	text       string
}

// apply turns the edits into splices of the original text, in document order. It may move
// where an edit inserts (see appendAt) and give a new value the anchor of the null it replaces;
// the tree edits follow.
func (s *source) apply(edits []edit) ([]byte, error) {
	var splices []splice
	for i := range edits {
		sps, err := s.spliceFor(&edits[i])
		if err != nil {
			return nil, err
		}
		splices = append(splices, sps...)
	}
	sort.SliceStable(splices, func(i, j int) bool { return splices[i].start < splices[j].start })
	size := len(s.src)
	for _, sp := range splices {
		size += len(sp.text) - (sp.end - sp.start)
	}
	out := make([]byte, 0, max(size, 0))
	pos := 0
	for _, sp := range splices {
		if sp.start < pos {
			return nil, fmt.Errorf("two edits overlap at line %d", s.lineOf(sp.start))
		}
		if strings.HasSuffix(sp.text, "\r") && sp.end < len(s.src) && s.src[sp.end] == '\n' {
			sp.text += "\n" // our CR before the LF of a blank line would make them one CR LF break
		}
		out = append(append(out, s.src[pos:sp.start]...), sp.text...)
		pos = sp.end
	}
	return append(out, s.src[pos:]...), nil
}

func (s *source) spliceFor(e *edit) ([]splice, error) {
	target := e.path[len(e.path)-1]
	if inFlow(e.path) {
		return s.flowSplice(e)
	}
	switch e.op {
	case opAddKey:
		return s.addKey(e, target)
	case opSetValue:
		i := keyIndex(target, e.key)
		k, old := target.Content[i], target.Content[i+1]
		if isNull(old) {
			return s.replaceNull(e, k, old)
		}
		sp, err := s.replaceScalar(old, scalarText(e.value), false)
		return []splice{sp}, err
	case opSpliceSeq:
		return s.seqSplice(e, target)
	}
	return nil, fmt.Errorf("unknown edit")
}

// inFlow reports whether the container at the end of path is a flow collection or inside one.
func inFlow(path []*yaml.Node) bool {
	for _, n := range path {
		if n.Style&yaml.FlowStyle != 0 {
			return true
		}
	}
	return false
}

// addKey appends "key: value" to block mapping m, at its entries' column after its last line.
func (s *source) addKey(e *edit, m *yaml.Node) ([]splice, error) {
	col := s.entryColumn(m)
	at, before, err := s.appendAt(m, e.path[:len(e.path)-1], col)
	if err != nil {
		return nil, err
	}
	if before >= 0 {
		e.at, e.placed = before, true
	}
	return []splice{{at.offset, at.offset, at.prefix + s.renderKey(col, e.key, e.value)}}, nil
}

type insertion struct {
	offset int
	prefix string // a line break when the insertion follows a last line without one
}

// appendAt finds where lines appended to block collection n (entries at column col) go: after
// its last line and the comments indented as its entries that follow it (they describe it),
// before anything less indented, blank lines that end it and "..." markers. When the document
// ends there without a line break in a block scalar, whose value a break after it would change,
// the lines go before n's last entry instead: before is then the index in n.Content where they
// go (else -1).
func (s *source) appendAt(n *yaml.Node, parents []*yaml.Node, col int) (insertion, int, error) {
	end, last, err := s.end(n, parents)
	if err != nil {
		return insertion{}, -1, err
	}
	l := s.lineOf(end)
	for next := l + 1; next <= s.lines(); next++ {
		line := s.line(next)
		if isDocMarker(line) {
			break
		}
		if isComment(line) && indentOf(line) >= col {
			l = next
		} else if !isBlank(line) {
			break
		}
	}
	if s.ends[l-1] < len(s.src) {
		return s.after(l), -1, nil // line l ends with a line break
	}
	if last.Kind == yaml.ScalarNode && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && !strings.HasSuffix(last.Value, "\n") && !s.strips(last) {
		i := len(n.Content) - 1
		entry := n.Content[i]
		start := -1
		if n.Kind == yaml.MappingNode {
			i--
			start = s.entryStart(n.Content[i])
		} else if d := s.dashAt(entry); d >= 0 && isBlank(s.src[s.starts[s.lineOf(d)-1]:d]) {
			start = d
		}
		if start < 0 {
			return insertion{}, -1, fmt.Errorf("cannot add lines after the block scalar that ends the file without a line break at line %d", last.Line)
		}
		line := s.lineOf(start)
		for line > 1 && isComment(s.line(line-1)) && indentOf(s.line(line-1)) == col {
			line-- // the entry's own comments stay with it
		}
		return insertion{s.starts[line-1], ""}, i, nil
	}
	return s.after(l), -1, nil
}

// after is where lines inserted after line l go: after its line break, or after a break of
// our own when it has none.
func (s *source) after(l int) insertion {
	at := s.lineEnd(l)
	if s.ends[l-1] == len(s.src) {
		return insertion{at, s.eol}
	}
	return insertion{at, ""}
}

// strips reports whether block scalar n's header strips its final line break ("|-", ">2-").
func (s *source) strips(n *yaml.Node) bool {
	h := s.src[s.skipProps(s.offset(n)):]
	for i := 1; i < len(h) && h[i] != ' ' && h[i] != '\t' && h[i] != '#' && breakLen(h, i) == 0; i++ {
		if h[i] == '-' {
			return true
		}
	}
	return false
}

// replaceNull writes a block collection where key k has a null value: the null's text goes
// (its tag with it; an anchor stays, and the new value takes it), the lines go after the null.
func (s *source) replaceNull(e *edit, k, old *yaml.Node) ([]splice, error) {
	if old.Anchor != "" {
		e.value.Anchor = old.Anchor
	}
	var b strings.Builder
	s.renderValue(&b, s.entryColumn(e.path[len(e.path)-1]), e.value)
	block := b.String()
	start, end, err := s.nullText(old)
	if err != nil {
		return nil, err
	}
	last := max(k.Line, s.lineOf(s.propsEnd(s.offset(old)))) // an anchor may stand on a line of its own
	var out []splice
	if end > start {
		line, ls := s.lineOf(start), s.starts[s.lineOf(start)-1]
		last = s.lineOf(end)
		le := s.ends[last-1]
		if line > k.Line && isBlank(s.src[ls:start]) && isBlank(s.src[end:le]) {
			// A line that held only the null goes, the block in its place.
			return []splice{{ls, s.lineEnd(last), block}}, nil
		}
		if isBlank(s.src[end:le]) {
			for start > ls && (s.src[start-1] == ' ' || s.src[start-1] == '\t') {
				start-- // nor does the space before a token that ended its line stay
			}
		}
		out = append(out, splice{start, end, ""})
	}
	at := s.after(last)
	return append(out, splice{at.offset, at.offset, at.prefix + block}), nil
}

// nullText returns the text a null value takes that a new value replaces: its tag and its token
// ("~", "null", "”", ...), or an empty range where it has neither (its anchor stays).
func (s *source) nullText(n *yaml.Node) (int, int, error) {
	off := s.offset(n)
	if off < 0 {
		return 0, 0, fmt.Errorf("null at line %d not found", n.Line)
	}
	start, end, content := -1, off, off
	for p := off; p < len(s.src) && (s.src[p] == '&' || s.src[p] == '!'); p = content {
		e := propEnd(s.src, p)
		if s.src[p] == '!' {
			start, end = first(start, p), e
		}
		content = s.skipSpace(e)
	}
	if n.Value != "" || n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		e, err := s.scalarEnd(n, content, false, -1)
		if err != nil {
			return 0, 0, err
		}
		if start < 0 {
			start = content
		}
		end = e
	}
	if start < 0 {
		return off, off, nil
	}
	return start, end, nil
}

// first is the earlier of two offsets, -1 being none.
func first(a, b int) int {
	if a < 0 {
		return b
	}
	return min(a, b)
}

// skipSpace skips spaces, tabs, line breaks and comments from off.
func (s *source) skipSpace(off int) int {
	for off < len(s.src) {
		switch c := s.src[off]; {
		case c == ' ' || c == '\t':
			off++
		case c == '#' && afterSpace(s.src, off):
			_, off = lineAt(s.src, off)
		default:
			if n := breakLen(s.src, off); n > 0 {
				off += n
				continue
			}
			return off
		}
	}
	return off
}

// afterSpace reports whether b[off] starts the text or follows white space or a line break,
// where a "#" starts a comment.
func afterSpace(b []byte, off int) bool {
	if off == 0 || b[off-1] == ' ' || b[off-1] == '\t' || b[off-1] == '\n' || b[off-1] == '\r' {
		return true
	}
	return off >= 2 && b[off-2] == 0xc2 && b[off-1] == 0x85 || off >= 3 && b[off-3] == 0xe2 && b[off-2] == 0x80 && (b[off-1] == 0xa8 || b[off-1] == 0xa9)
}

// skipProps returns where node content starts at off: after its anchor and tag, if any.
func (s *source) skipProps(off int) int {
	for off < len(s.src) && (s.src[off] == '&' || s.src[off] == '!') {
		off = s.skipSpace(propEnd(s.src, off))
	}
	return off
}

// propEnd returns the end of the anchor or tag at off: the next white space, line break or flow
// indicator (a verbatim tag "!<...>" ends at its ">").
func propEnd(b []byte, off int) int {
	if bytes.HasPrefix(b[off:], []byte("!<")) {
		if i := bytes.IndexByte(b[off:], '>'); i >= 0 {
			return off + i + 1
		}
	}
	for off < len(b) && b[off] != ' ' && b[off] != '\t' && b[off] != ',' && b[off] != '[' && b[off] != ']' && b[off] != '{' && b[off] != '}' && breakLen(b, off) == 0 {
		off++
	}
	return off
}

// replaceScalar replaces the text of scalar old (not its anchor or tag) with text.
func (s *source) replaceScalar(old *yaml.Node, text string, flow bool) (splice, error) {
	start := s.skipProps(s.offset(old))
	end, err := s.scalarEnd(old, start, flow, -1)
	if err != nil {
		return splice{}, err
	}
	return splice{start, end, text}, nil
}

// seqSplice removes our earlier items from a block sequence and writes the new ones where the
// first of them stood, or after the last item.
func (s *source) seqSplice(e *edit, seq *yaml.Node) ([]splice, error) {
	dash := s.dashColumn(seq.Content[0])
	if dash < 0 {
		return nil, fmt.Errorf("the list at line %d has no \"-\" before its first item", seq.Content[0].Line)
	}
	offsetInItem := 2
	for _, item := range seq.Content {
		if d := s.dashAt(item); d >= 0 && item.Kind == yaml.MappingNode && item.Line == s.lineOf(d) {
			offsetInItem = s.entryColumn(item) - s.dashColumn(item)
			break
		}
	}
	var b strings.Builder
	for _, item := range e.items {
		s.renderSeqItem(&b, dash, offsetInItem, item)
	}
	text := b.String()
	if len(e.remove) == 0 {
		at, before, err := s.appendAt(seq, e.path[:len(e.path)-1], dash)
		if err != nil {
			return nil, err
		}
		if before >= 0 {
			e.at = before
		}
		return []splice{{at.offset, at.offset, at.prefix + text}}, nil
	}
	var out []splice
	parents := e.path
	for k, i := range e.remove {
		item := seq.Content[i]
		d := s.dashAt(item)
		if d < 0 || !isBlank(s.src[s.starts[s.lineOf(d)-1]:d]) {
			return nil, fmt.Errorf("the list item at line %d does not start its line", item.Line)
		}
		end, _, err := s.end(item, parents)
		if err != nil {
			return nil, err
		}
		l := s.lineOf(end)
		for next := l + 1; next <= s.lines(); next++ { // comments inside the item go with it
			if line := s.line(next); isComment(line) && indentOf(line) > dash {
				l = next
			} else if !isBlank(line) {
				break
			}
		}
		t := ""
		if k == 0 {
			t = text
			if s.lineEnd(l) == len(s.src) && s.ends[l-1] == len(s.src) {
				t = strings.TrimSuffix(t, s.eol) // the file ended without a line break: so it still does
			}
		}
		out = append(out, splice{s.starts[s.lineOf(d)-1], s.lineEnd(l), t})
	}
	return out, nil
}

// end returns the offset just past node n's text, with the node whose text ends there (n's last
// descendant, or a flow collection holding it). parents are n's ancestors, root first.
func (s *source) end(n *yaml.Node, parents []*yaml.Node) (int, *yaml.Node, error) {
	flow := inFlow(parents)
	for {
		switch {
		case n.Kind == yaml.AliasNode:
			off := s.offset(n)
			if off < 0 || !bytes.HasPrefix(s.src[off:], []byte("*"+n.Value)) {
				return 0, nil, fmt.Errorf("alias *%s at line %d not found", n.Value, n.Line)
			}
			return off + 1 + len(n.Value), n, nil
		case n.Kind == yaml.ScalarNode:
			off := s.offset(n)
			if off < 0 {
				return 0, nil, fmt.Errorf("value at line %d not found", n.Line)
			}
			indent := -1
			if len(parents) > 0 {
				indent = s.blockIndent(parents[len(parents)-1], n)
			}
			end, err := s.scalarEnd(n, s.skipProps(off), flow, indent)
			if n.Value == "" && n.Style&^yaml.TaggedStyle == 0 {
				end = s.propsEnd(off) // no text of its own: it ends with its anchor or tag, if any
			}
			return end, n, err
		case n.Style&yaml.FlowStyle != 0:
			open := s.skipProps(s.offset(n))
			f, ok := scanFlow(s.src, open)
			if !ok {
				return 0, nil, fmt.Errorf("the end of the flow collection at line %d not found", n.Line)
			}
			return f.close + 1, n, nil
		case len(n.Content) == 0:
			return 0, nil, fmt.Errorf("empty block collection at line %d", n.Line)
		}
		parents = append(clip(parents), n)
		n = n.Content[len(n.Content)-1]
	}
}

// propsEnd returns the end of the anchor and tag at off (off itself when there are none).
func (s *source) propsEnd(off int) int {
	end := off
	for p := off; p < len(s.src) && (s.src[p] == '&' || s.src[p] == '!'); {
		end = propEnd(s.src, p)
		p = s.skipSpace(end)
	}
	return end
}

// blockIndent is the indentation (0-based column) of the block collection parent that holds
// child: where a block scalar's explicit indentation and a plain scalar's continuation lines
// count from. -1 for a flow collection.
func (s *source) blockIndent(parent, child *yaml.Node) int {
	switch {
	case parent.Style&yaml.FlowStyle != 0:
		return -1
	case parent.Kind == yaml.MappingNode:
		return s.entryColumn(parent)
	case parent.Kind == yaml.SequenceNode:
		return s.dashColumn(parent.Content[0])
	}
	return -1
}

// scalarEnd returns the end of the text of scalar n whose content starts at off. indent is the
// indentation of the block collection holding it (-1 when unknown or in flow).
func (s *source) scalarEnd(n *yaml.Node, off int, flow bool, indent int) (int, error) {
	b := s.src
	fail := func() (int, error) { return 0, fmt.Errorf("the text of the value at line %d not found", n.Line) }
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if off >= len(b) || b[off] != '"' {
			return fail()
		}
		for i := off + 1; i < len(b); i++ {
			if b[i] == '\\' {
				i++
			} else if b[i] == '"' {
				return i + 1, nil
			}
		}
		return fail()
	case n.Style&yaml.SingleQuotedStyle != 0:
		if off >= len(b) || b[off] != '\'' {
			return fail()
		}
		for i := off + 1; i < len(b); i++ {
			if b[i] == '\'' {
				if i+1 < len(b) && b[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
		return fail()
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return s.blockScalarEnd(n, off, indent)
	case n.Value == "":
		return off, nil
	}
	if bytes.HasPrefix(b[off:], []byte(n.Value)) {
		return off + len(n.Value), nil
	}
	// A plain scalar on several lines: its lines up to a comment, the end of its lines (and in
	// flow, a flow indicator); the text found must fold to the value.
	end := off
	var text, breaks []string
	for l, pos := s.lineOf(off), off; l <= s.lines(); l++ {
		line := b[pos:s.ends[l-1]]
		if l > s.lineOf(off) {
			t := bytes.TrimLeft(line, " \t")
			if len(t) > 0 && (t[0] == '#' || isDocMarker(line) || !flow && indentOf(line) <= indent) {
				break
			}
		}
		cut := len(line)
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '#' && i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') ||
				flow && (c == ',' || c == ']' || c == '}' || c == '[' || c == '{') ||
				c == ':' && (i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t' || flow && strings.IndexByte(",[]{}", line[i+1]) >= 0) {
				cut = i
				break
			}
		}
		piece := bytes.Trim(line[:cut], " \t")
		text = append(text, string(piece))
		if len(piece) > 0 {
			end = pos + bytes.Index(line, piece) + len(piece)
		}
		if cut < len(line) || l == s.lines() {
			break
		}
		breaks = append(breaks, string(b[s.ends[l-1]:s.starts[l]]))
		pos = s.starts[l]
	}
	if fold(text, breaks) != n.Value {
		return fail()
	}
	return end, nil
}

// fold joins the lines of a plain scalar as go-yaml does: a line break is a space, or, followed
// by empty lines, their line breaks; a break is "\n", except LS and PS, which stay themselves
// (and are no space). Trailing empty lines are not part of the scalar. breaks[i] follows lines[i].
func fold(lines, breaks []string) string {
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	norm := func(br string) string {
		if br == "\u2028" || br == "\u2029" {
			return br
		}
		return "\n"
	}
	var b strings.Builder
	for i := 0; i < len(lines); {
		b.WriteString(lines[i])
		j := i + 1
		for j < len(lines) && lines[j] == "" {
			j++
		}
		if j == len(lines) {
			break
		}
		lead := norm(breaks[i])
		var trailing strings.Builder
		for k := i + 1; k < j; k++ {
			trailing.WriteString(norm(breaks[k]))
		}
		switch {
		case lead != "\n":
			b.WriteString(lead + trailing.String())
		case trailing.Len() == 0:
			b.WriteByte(' ')
		default:
			b.WriteString(trailing.String())
		}
		i = j
	}
	return b.String()
}

// blockScalarEnd returns the end of a literal or folded scalar whose header ("|", ">-", "|2+",
// ...) starts at off: the end of its last content line, or of its trailing empty lines when it
// keeps them ("+").
func (s *source) blockScalarEnd(n *yaml.Node, off, indent int) (int, error) {
	header := s.lineOf(off)
	explicit, keep := 0, false
	for i := off + 1; i < s.ends[header-1]; i++ {
		c := s.src[i]
		switch {
		case c >= '1' && c <= '9':
			explicit = int(c - '0')
		case c == '+':
			keep = true
		case c == '-':
		default:
			i = s.ends[header-1]
		}
	}
	content := -1
	if explicit > 0 {
		content = max(indent, 0) + explicit
	}
	end := s.ends[header-1]
	for l := header + 1; l <= s.lines(); l++ {
		line := s.line(l)
		if len(bytes.TrimLeft(line, " ")) == 0 {
			if keep {
				end = s.ends[l-1]
			}
			continue
		}
		ind := indentOf(line)
		if content < 0 {
			if ind <= indent {
				break
			}
			content = ind
		}
		if ind < content || ind == 0 && isDocMarker(line) {
			break
		}
		end = s.ends[l-1]
	}
	return end, nil
}

// renderKey writes "key: value" at col, with a nested block value on the following lines.
func (s *source) renderKey(col int, key string, value *yaml.Node) string {
	var b strings.Builder
	s.writeKey(&b, col, recipe.Scalar(key), value, false)
	return b.String()
}

// writeKey writes "key: value" at col; with first, the indentation is already written (the first
// key of a sequence item, after its dash).
func (s *source) writeKey(b *strings.Builder, col int, key, value *yaml.Node, first bool) {
	if !first {
		b.WriteString(strings.Repeat(" ", col))
	}
	b.WriteString(scalarText(key))
	b.WriteString(":")
	if value.Kind == yaml.ScalarNode {
		b.WriteString(" ")
		b.WriteString(scalarText(value))
		b.WriteString(s.eol)
		return
	}
	if len(value.Content) == 0 {
		b.WriteString(" []" + s.eol) // the only empty collection we write: a job without labels
		return
	}
	b.WriteString(s.eol)
	s.renderValue(b, col, value)
}

// renderValue writes the block lines of a collection that is the value of a key at col.
func (s *source) renderValue(b *strings.Builder, col int, value *yaml.Node) {
	switch value.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(value.Content); i += 2 {
			s.writeKey(b, col+s.unit, value.Content[i], value.Content[i+1], false)
		}
	case yaml.SequenceNode:
		for _, item := range value.Content {
			s.renderSeqItem(b, col+s.seqIndent, 2, item)
		}
	}
}

// renderSeqItem writes one block sequence item: "- " at dash, the mapping's keys at
// dash+offsetInItem.
func (s *source) renderSeqItem(b *strings.Builder, dash, offsetInItem int, item *yaml.Node) {
	b.WriteString(strings.Repeat(" ", dash))
	b.WriteString("-")
	if item.Kind != yaml.MappingNode {
		b.WriteString(" ")
		b.WriteString(scalarText(item))
		b.WriteString(s.eol)
		return
	}
	b.WriteString(strings.Repeat(" ", max(offsetInItem-1, 1)))
	for i := 0; i+1 < len(item.Content); i += 2 {
		s.writeKey(b, dash+max(offsetInItem, 2), item.Content[i], item.Content[i+1], i == 0)
	}
}

// scalarText renders a scalar we generated: plain or double-quoted.
func scalarText(n *yaml.Node) string {
	if n.Style == yaml.DoubleQuotedStyle {
		return quote(n.Value)
	}
	return n.Value
}
