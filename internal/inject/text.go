package inject

import (
	"bytes"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// source is one YAML document's original bytes with a line index. Lines are 1-based as in
// yaml.Node; columns are 1-based runes.
type source struct {
	src       []byte
	lineStart []int
	eol       string
	unit      int // indentation step of nested mappings
	seqIndent int // indentation of a block sequence under its key: 0 (compact) or unit (wide)
	rendered  rendered
}

// rendered is the last collection written as a key's value in the block being rendered: a
// job's metrics share one label list, written once and then copied.
type rendered struct {
	value      *yaml.Node
	col        int
	start, end int // in the block's buffer
}

func newSource(src []byte, root *yaml.Node) *source {
	s := &source{src: src, lineStart: make([]int, 1, bytes.Count(src, []byte("\n"))+1), eol: "\n"}
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 || i+j+1 == len(src) {
			break
		}
		i += j + 1
		s.lineStart = append(s.lineStart, i)
	}
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		s.eol = "\r\n"
	}
	s.unit, s.seqIndent = s.detectStyle(root)
	return s
}

func (s *source) lines() int { return len(s.lineStart) }

// line returns line l without its line break.
func (s *source) line(l int) []byte {
	start := s.lineStart[l-1]
	end := len(s.src)
	if l < len(s.lineStart) {
		end = s.lineStart[l]
	}
	b := s.src[start:end]
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// lineEnd is the offset just past line l's line break (or the end of the source).
func (s *source) lineEnd(l int) int {
	if l < len(s.lineStart) {
		return s.lineStart[l]
	}
	return len(s.src)
}

func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

func isBlank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }

func isComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) > 0 && t[0] == '#'
}

// offset converts a node position to a byte offset.
func (s *source) offset(n *yaml.Node) int {
	if n.Line < 1 || n.Line > s.lines() {
		return -1
	}
	line := s.line(n.Line)
	off := 0
	for col := 1; col < n.Column && off < len(line); col++ {
		_, size := utf8.DecodeRune(line[off:])
		off += size
	}
	return s.lineStart[n.Line-1] + off
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
			if v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 || v.Line <= k.Line {
				continue
			}
			switch v.Kind {
			case yaml.MappingNode:
				if unit < 0 && v.Column > k.Column {
					unit = v.Column - k.Column
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

// dashColumn returns the 0-based column of the "- " that opens a block sequence item when the
// item starts on the dash's line, else -1.
func (s *source) dashColumn(item *yaml.Node) int {
	if item.Line < 1 || item.Line > s.lines() {
		return -1
	}
	line := s.line(item.Line)
	d := indentOf(line)
	if d < len(line) && line[d] == '-' && d < item.Column-1 {
		return d
	}
	if l := s.dashLine(item); l > 0 {
		return indentOf(s.line(l))
	}
	return -1
}

// dashLine returns the line of a "-" that stands alone above the item it opens (blank and
// comment lines may come between), or 0.
func (s *source) dashLine(item *yaml.Node) int {
	for l := item.Line - 1; l >= 1; l-- {
		line := s.line(l)
		if isBlank(line) || isComment(line) {
			continue
		}
		t := bytes.TrimSpace(line)
		if (len(t) == 1 && t[0] == '-') || (t[0] == '-' && len(t) > 1 && (t[1] == ' ' || t[1] == '\t') && bytes.TrimSpace(t[1:])[0] == '#') {
			if indentOf(line) < item.Column-1 {
				return l
			}
		}
		return 0
	}
	return 0
}

// subtreeEnd returns the last line that belongs to the block node at the end of path: the line
// before the next node in document order, less trailing blank and comment lines (which belong
// to what follows), but never cutting into a block scalar's content.
func (s *source) subtreeEnd(path []*yaml.Node) int {
	end := s.lines()
	for i := len(path) - 1; i > 0; i-- {
		parent, node := path[i-1], path[i]
		if j := indexOf(parent.Content, node); j >= 0 && j+1 < len(parent.Content) {
			end = parent.Content[j+1].Line - 1
			break
		}
	}
	node := path[len(path)-1]
	last := lastDescendant(node)
	blockScalar := last.Kind == yaml.ScalarNode && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	headerIndent := 0
	if blockScalar {
		headerIndent = indentOf(s.line(last.Line))
	}
	content := end
	for content > last.Line {
		l := s.line(content)
		switch {
		case isBlank(l):
		case isComment(l) && (!blockScalar || indentOf(l) <= headerIndent):
		case string(l) == "...":
		default:
			goto found
		}
		content--
	}
found:
	if blockScalar && keepChomping(s.line(last.Line), last) {
		for content < end && isBlank(s.line(content+1)) {
			content++
		}
	}
	// Comments indented as the node's own entries, after its last one, still describe it (a
	// commented-out template, a closing note): they stay with it, before anything added.
	if col := s.entryColumn(node); col >= 0 {
		for l := content + 1; l <= end; l++ {
			line := s.line(l)
			if isComment(line) && indentOf(line) >= col {
				content = l
			} else if !isBlank(line) {
				break
			}
		}
	}
	return content
}

// entryColumn is the 0-based column where a block collection's entries start (its keys, or
// its items' dashes), or -1.
func (s *source) entryColumn(n *yaml.Node) int {
	if len(n.Content) == 0 || n.Style&yaml.FlowStyle != 0 {
		return -1
	}
	switch n.Kind {
	case yaml.MappingNode:
		return n.Content[0].Column - 1
	case yaml.SequenceNode:
		return s.dashColumn(n.Content[0])
	}
	return -1
}

// keepChomping reports whether a block scalar header ("|+", ">2+", ...) keeps trailing newlines,
// which makes the blank lines after it part of its value.
func keepChomping(headerLine []byte, n *yaml.Node) bool {
	col := 0
	for i := 1; i < n.Column && col < len(headerLine); i++ {
		_, size := utf8.DecodeRune(headerLine[col:])
		col += size
	}
	h := headerLine[col:]
	for i := 1; i < len(h) && h[i] != ' ' && h[i] != '#'; i++ {
		if h[i] == '+' {
			return true
		}
	}
	return false
}

func lastDescendant(n *yaml.Node) *yaml.Node {
	for (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
	}
	return n
}

func indexOf(nodes []*yaml.Node, n *yaml.Node) int {
	for i, c := range nodes {
		if c == n {
			return i
		}
	}
	return -1
}

// splice replaces src[start:end] with text. probe is what the position check writes instead:
// the same text, or a one-line stand-in for a generated block (see verify.go).
type splice struct {
	start, end  int
	text, probe string
}

func plain(start, end int, text string) splice { return splice{start, end, text, text} }

// generated is a block of lines we wrote, which must parse on its own to want.
type generated struct {
	text string
	want *yaml.Node
}

// spliced is the result of applying edits to the text.
type spliced struct {
	src      []byte
	out      []byte
	splices  []splice // sorted: the probe is src with each one's probe text
	blocks   []generated
	windows  []window            // one per edit, when every edit has one (verify.go)
	inserted map[*yaml.Node]bool // nodes the probe writes as "~"
	full     bool                // some edit has no probe: verify out itself
}

// probe writes the whole probe document.
func (r *spliced) probe() []byte {
	var b bytes.Buffer
	b.Grow(len(r.src) + 256)
	pos := 0
	for _, sp := range r.splices {
		b.Write(r.src[pos:sp.start])
		b.WriteString(sp.probe)
		pos = sp.end
	}
	b.Write(r.src[pos:])
	return b.Bytes()
}

// applyText turns edits into splices on the original bytes. ok is false when an edit touches
// a layout this splicer does not handle; the caller then re-encodes the document.
func (s *source) applyText(edits []edit) (*spliced, bool) {
	r := &spliced{src: s.src, inserted: map[*yaml.Node]bool{}}
	var splices []splice
	windowed := true
	for _, e := range edits {
		sp, ok := s.spliceFor(e, r)
		if !ok {
			return nil, false
		}
		if windowed {
			w, ok := s.window(e, sp)
			if windowed = ok; ok {
				r.windows = append(r.windows, w)
			} else {
				r.windows = nil
			}
		}
		splices = append(splices, sp...)
	}
	sort.SliceStable(splices, func(i, j int) bool { return splices[i].start < splices[j].start })
	size := len(s.src)
	for _, sp := range splices {
		size += len(sp.text) - (sp.end - sp.start)
	}
	out := make([]byte, 0, max(size, 0)) // the output's exact size when the splices do not overlap
	pos := 0
	for _, sp := range splices {
		if sp.start < pos {
			return nil, false // overlapping edits: let the encoder handle it
		}
		out = append(append(out, s.src[pos:sp.start]...), sp.text...)
		pos = sp.end
	}
	r.out, r.splices = append(out, s.src[pos:]...), splices
	return r, true
}

func (s *source) spliceFor(e edit, r *spliced) ([]splice, bool) {
	target := e.path[len(e.path)-1]
	if target.Style&yaml.FlowStyle != 0 {
		r.full = true
		return s.flowSplice(e)
	}
	switch e.op {
	case opAddKey:
		if len(target.Content) == 0 {
			return nil, false
		}
		col := target.Content[0].Column - 1
		if indentOf(s.line(target.Content[0].Line)) != col && s.dashColumn(target) < 0 {
			return nil, false // the first key shares its line with something other than "- "
		}
		at := s.insertAfter(s.subtreeEnd(e.path))
		text := s.renderKey(col, e.key, e.value)
		if e.value.Kind == yaml.ScalarNode {
			return []splice{plain(at.offset, at.offset, at.prefix+text)}, true
		}
		r.inserted[e.value] = true
		r.blocks = append(r.blocks, generated{text, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{recipe.Scalar(e.key), e.value}}})
		probe := strings.Repeat(" ", col) + scalarText(recipe.Scalar(e.key)) + ": ~" + s.eol
		return []splice{{at.offset, at.offset, at.prefix + text, at.prefix + probe}}, true
	case opSetValue:
		i := keyIndex(target, e.key)
		k, old := target.Content[i], target.Content[i+1]
		if indentOf(s.line(k.Line)) != k.Column-1 && s.dashColumn(target) < 0 {
			return nil, false
		}
		if isNull(old) {
			return s.replaceNull(k, old, e.value, r)
		}
		return s.replaceScalar(old, e.value)
	case opSpliceSeq:
		return s.seqSplice(e, target, r)
	}
	return nil, false
}

type insertion struct {
	offset int
	prefix string // a line break when the insertion follows a last line without one
}

func (s *source) insertAfter(line int) insertion {
	off := s.lineEnd(line)
	if off == len(s.src) && len(s.src) > 0 && s.src[len(s.src)-1] != '\n' {
		if s.src[len(s.src)-1] == '\r' {
			return insertion{off, "\n"} // a CRLF file cut after its last \r: complete the break
		}
		return insertion{off, s.eol}
	}
	return insertion{off, ""}
}

// replaceNull writes a block value under a key whose value is empty or an explicit null.
func (s *source) replaceNull(k, old *yaml.Node, value *yaml.Node, r *spliced) ([]splice, bool) {
	col := k.Column - 1
	var out []splice
	if old.Value == "" {
		// An empty value: nothing to remove, but nothing may follow the key on its line.
		if rest := s.afterKey(k); !isBlank(rest) && !isComment(rest) {
			return nil, false
		}
	} else if old.Line == k.Line {
		off := s.offset(old)
		if off < 0 || !bytes.HasPrefix(s.src[off:], []byte(old.Value)) || old.Value == "" {
			return nil, false
		}
		start, end := off, off+len(old.Value)
		if isBlank(s.src[end:s.lineEnd(k.Line)]) { // drop the space before a token that ends the line
			for start > s.lineStart[k.Line-1] && s.src[start-1] == ' ' {
				start--
			}
		}
		out = append(out, plain(start, end, ""))
	} else if rest := s.afterKey(k); !isBlank(rest) && !isComment(rest) {
		return nil, false
	}
	at := s.insertAfter(k.Line)
	b := s.renderBuffer()
	s.renderValue(b, col, value)
	text := b.String()
	renderBufs.Put(b)
	r.inserted[value] = true
	r.blocks = append(r.blocks, generated{text, value})
	return append(out, splice{at.offset, at.offset, at.prefix + text, at.prefix}), true
}

// afterKey returns what follows "key:" on the key's line.
func (s *source) afterKey(k *yaml.Node) []byte {
	line := s.line(k.Line)
	off := s.offset(k) - s.lineStart[k.Line-1]
	if i := bytes.IndexByte(line[off:], ':'); i >= 0 {
		return line[off+i+1:]
	}
	return nil
}

// replaceScalar swaps a single-line plain or double-quoted scalar for another.
func (s *source) replaceScalar(old, value *yaml.Node) ([]splice, bool) {
	off := s.offset(old)
	if off < 0 || value.Kind != yaml.ScalarNode {
		return nil, false
	}
	var raw string
	switch old.Style {
	case 0:
		raw = old.Value
	case yaml.DoubleQuotedStyle:
		raw = quote(old.Value)
	default:
		return nil, false
	}
	if !bytes.HasPrefix(s.src[off:], []byte(raw)) || strings.ContainsAny(raw, "\n") {
		return nil, false
	}
	return []splice{plain(off, off+len(raw), scalarText(value))}, true
}

// seqSplice removes our earlier entries from a block sequence and writes the new ones where the
// first of them stood, or after the last item.
func (s *source) seqSplice(e edit, seq *yaml.Node, r *spliced) ([]splice, bool) {
	if len(seq.Content) == 0 {
		return nil, false
	}
	dash := s.dashColumn(seq.Content[0])
	if dash < 0 || seq.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	offsetInItem := seq.Content[0].Column - 1 - dash
	b := s.renderBuffer()
	for _, item := range e.items {
		s.renderSeqItem(b, dash, offsetInItem, item)
	}
	text := b.String()
	renderBufs.Put(b)
	probe := strings.Repeat(strings.Repeat(" ", dash)+"- ~"+s.eol, len(e.items))
	for _, item := range e.items {
		r.inserted[item] = true
	}
	r.blocks = append(r.blocks, generated{text, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: e.items}})
	var out []splice
	for k, i := range e.remove {
		item := seq.Content[i]
		if s.dashColumn(item) != dash {
			return nil, false
		}
		first := item.Line
		if l := s.dashLine(item); l > 0 {
			first = l
		}
		start := s.lineStart[first-1]
		end := s.lineEnd(s.subtreeEnd(append(clip(e.path), item)))
		t, p := "", ""
		if k == 0 {
			t, p = text, probe
			if end == len(s.src) && len(s.src) > 0 && s.src[end-1] != '\n' {
				t, p = strings.TrimSuffix(t, s.eol), strings.TrimSuffix(p, s.eol)
			}
		}
		out = append(out, splice{start, end, t, p})
	}
	if len(e.remove) == 0 {
		at := s.insertAfter(s.subtreeEnd(e.path))
		out = append(out, splice{at.offset, at.offset, at.prefix + text, at.prefix + probe})
	}
	return out, true
}

// renderKey writes "key: value" at col, with a nested block value on the following lines.
func (s *source) renderKey(col int, key string, value *yaml.Node) string {
	b := s.renderBuffer()
	s.writeKey(b, col, recipe.Scalar(key), value, false)
	text := b.String()
	renderBufs.Put(b)
	return text
}

// renderBufs holds the buffers blocks are rendered in: each block is then copied out once, at
// its size (a metrics block of the default config is ~6 KB, grown in steps every time).
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *source) renderBuffer() *bytes.Buffer {
	b := renderBufs.Get().(*bytes.Buffer)
	b.Reset()
	s.rendered = rendered{}
	return b
}

// writeKey is renderKey into b; with first, the indentation is already written (the first key
// of a sequence item, after its dash). Everything goes straight into b: a block is written once.
func (s *source) writeKey(b *bytes.Buffer, col int, key, value *yaml.Node, first bool) {
	if !first {
		writeSpaces(b, col)
	}
	writeScalar(b, key)
	b.WriteString(":")
	if value.Kind == yaml.ScalarNode {
		b.WriteString(" ")
		writeScalar(b, value)
		b.WriteString(s.eol)
		return
	}
	b.WriteString(s.eol)
	if r := s.rendered; value == r.value && col == r.col {
		b.Write(b.Bytes()[r.start:r.end]) // the same node at the same column: the same lines
		return
	}
	start := b.Len()
	s.renderValue(b, col, value)
	s.rendered = rendered{value, col, start, b.Len()}
}

// renderValue writes the block lines of a collection that is the value of a key at col.
func (s *source) renderValue(b *bytes.Buffer, col int, value *yaml.Node) {
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
func (s *source) renderSeqItem(b *bytes.Buffer, dash, offsetInItem int, item *yaml.Node) {
	writeSpaces(b, dash)
	b.WriteString("-")
	if item.Kind != yaml.MappingNode {
		b.WriteString(" ")
		writeScalar(b, item)
		b.WriteString(s.eol)
		return
	}
	writeSpaces(b, offsetInItem-1)
	for i := 0; i+1 < len(item.Content); i += 2 {
		s.writeKey(b, dash+offsetInItem, item.Content[i], item.Content[i+1], i == 0)
	}
}

const spaces = "                                                                "

func writeSpaces(b *bytes.Buffer, n int) {
	for ; n > len(spaces); n -= len(spaces) {
		b.WriteString(spaces)
	}
	b.WriteString(spaces[:max(n, 0)])
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) {
	writeString(b, n.Value, n.Style == yaml.DoubleQuotedStyle)
}

// writeString writes v plain or double-quoted.
func writeString(b *bytes.Buffer, v string, quoted bool) {
	if !quoted {
		b.WriteString(v)
		return
	}
	b.Write(appendQuoted(b.AvailableBuffer(), v))
}

// scalarText renders a scalar we generated: plain or double-quoted.
func scalarText(n *yaml.Node) string {
	if n.Style == yaml.DoubleQuotedStyle {
		return quote(n.Value)
	}
	return n.Value
}
