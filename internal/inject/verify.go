package inject

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// verify proves that spliced text reads back as the edited tree, without re-parsing every
// generated line of every document (that doubled the cost of a run):
//
//   - Positions: the document with each generated block replaced by a one-line probe at the
//     same place ("key: ~", one "- ~" per item) must read as the edited tree with each generated
//     node read as null. Generated blocks are indented deeper than the line they start on and
//     end before a line indented less, so the probe attaches where the block does. Only the
//     windows around the edits are parsed when that is sound (positionsByWindows); otherwise
//     the whole probe document.
//   - Blocks: each generated block must parse on its own to its nodes. Blocks differ between
//     resources only in scalar values, and each value is one token on its line, plain-safe or a
//     JSON string, so one check per block shape (the text with values masked) covers them all.
//
// Edits to flow collections have no probe; their whole output is parsed and compared instead.
func (in *Injector) verify(r *spliced, doc *yaml.Node) bool {
	if r.full {
		return sameAs(r.out, doc)
	}
	if !positionsByWindows(r) && !positionsByProbe(r, doc) {
		return false
	}
	for _, b := range r.blocks {
		if in.knownShape(b.text) {
			continue
		}
		var g yaml.Node
		if err := yaml.Unmarshal([]byte(b.text), &g); err != nil || len(g.Content) != 1 || !equalNodes(g.Content[0], b.want) {
			return false
		}
		in.mu.Lock()
		if in.shapes == nil {
			in.shapes = map[string]bool{}
		}
		in.shapes[maskValues(b.text)] = true
		in.mu.Unlock()
	}
	return true
}

// shapeBufs holds the buffers a block's shape is written in to look it up.
var shapeBufs = sync.Pool{New: func() any { return new([]byte) }}

// knownShape reports whether a block of text's shape was proven before.
func (in *Injector) knownShape(text string) bool {
	buf := shapeBufs.Get().(*[]byte)
	*buf = appendMask((*buf)[:0], text)
	in.mu.RLock()
	ok := in.shapes[string(*buf)]
	in.mu.RUnlock()
	shapeBufs.Put(buf)
	return ok
}

// positionsByProbe parses the whole probe document.
func positionsByProbe(r *spliced, doc *yaml.Node) bool {
	var got yaml.Node
	return yaml.Unmarshal(r.probe(), &got) == nil && equalProbe(&got, doc, r.inserted)
}

// window is the part of the probe document one edit touches: from the line of an entry (key)
// of the block mapping m, at column col, through the edit's splices and every following line
// up to one that ends m (left of col, "...", the end) or is m's next key (line next, at col).
// A window of an appended entry may start at the entry itself (key nil) when the text before
// it is proved closed: by its last token alone (endsClean) or by pre, the last entry before
// it that starts its line, parsed on its own.
type window struct {
	m, key     *yaml.Node
	col        int
	start, end int // offsets in the source
	next       int // 0: the window ends m; -1: it holds exactly its key's entry (a pre)
	text       []byte
	pre        *window
	probeOnly  string // the window is the probe of this appended key, blank and comment lines
}

// positionsByWindows proves the positions by parsing each edit's window on its own. It is as
// strong as parsing the whole probe document: a window starts where a key of a block mapping
// starts its line (or after a part proved closed), so the scanner enters it with no token open
// and the same innermost indentation as a standalone parse whose root mapping is at col;
// inside it every content line is indented at least col, so the outer indentation levels never
// come into play; it ends with a line break where a parse of the original ends m or starts m's
// next key, having parsed completely on its own (nothing open), so the rest of the document
// reads as it did. Windows that do not parse alone (an alias of an anchor outside, a tag
// directive) fall back to the whole probe document.
func positionsByWindows(r *spliced) bool {
	if len(r.windows) == 0 {
		return false
	}
	ws := append([]window(nil), r.windows...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].from() < ws[j].from() })
	for k := range ws {
		if k > 0 && ws[k].from() < ws[k-1].end {
			return false // a window (or its pre) reads text another edit changed
		}
		if !ws[k].proves(r.inserted) || (ws[k].pre != nil && !ws[k].pre.proves(nil)) {
			return false
		}
	}
	return true
}

// from is where the text the window reads starts: its pre's start when it has one.
func (w *window) from() int {
	if w.pre != nil {
		return w.pre.start
	}
	return w.start
}

// proves parses the window on its own and compares it with the entries of m it covers.
func (w *window) proves(inserted map[*yaml.Node]bool) bool {
	i := len(w.m.Content) - 2 // the entry the edit appended
	if w.key != nil {
		i = indexOf(w.m.Content, w.key)
	}
	if i < 0 || i%2 != 0 {
		return false
	}
	j := len(w.m.Content)
	switch {
	case w.next < 0:
		j = i + 2
	case w.next > 0:
		j = -1
		for n := i + 2; n < len(w.m.Content); n += 2 {
			if key := w.m.Content[n]; key.Line == w.next && key.Column == w.col+1 {
				j = n
				break
			}
		}
		if j < 0 {
			return false
		}
	}
	if w.probeOnly != "" {
		// "key: ~" as written by spliceFor, the key one token (FuzzScalarText): no parse needed.
		return j-i == 2 && w.m.Content[i].Value == w.probeOnly && inserted[w.m.Content[i+1]]
	}
	root := parseWindow(w.text)
	if root == nil || root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 || len(root.Content) != j-i || root.Content[0].Column != w.col+1 {
		return false
	}
	for n, c := range root.Content {
		if !equalProbe(c, w.m.Content[i+n], inserted) {
			return false
		}
	}
	return true
}

// windowRoots holds the parses of small window texts. The same few lines recur in most
// documents of a stream (a `pre` such as "command: [sh, -c, ...]" closing the last template),
// and a parse depends on its text alone; the trees are only read. Bounded: at most
// maxWindows texts of at most maxWindowText bytes (a few MB at worst).
var windowRoots = struct {
	sync.RWMutex
	m map[string]*yaml.Node
}{m: map[string]*yaml.Node{}}

const (
	maxWindowText = 256
	maxWindows    = 1024
)

// parseWindow returns the root of text parsed on its own, or nil when it does not parse as
// exactly one document with one root.
func parseWindow(text []byte) *yaml.Node {
	cached := len(text) <= maxWindowText
	if cached {
		windowRoots.RLock()
		root, ok := windowRoots.m[string(text)]
		windowRoots.RUnlock()
		if ok {
			return root
		}
	}
	var root *yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var got, extra yaml.Node
	// One document: text after the root would start another.
	if dec.Decode(&got) == nil && errors.Is(dec.Decode(&extra), io.EOF) && len(got.Content) == 1 {
		root = got.Content[0]
	}
	if cached {
		windowRoots.Lock()
		if len(windowRoots.m) < maxWindows {
			windowRoots.m[string(text)] = root
		}
		windowRoots.Unlock()
	}
	return root
}

// window finds the window of edit e, whose splices are sps; false when it has none (the whole
// probe document is parsed then).
func (s *source) window(e edit, sps []splice) (window, bool) {
	target := e.path[len(e.path)-1]
	var m, key *yaml.Node
	switch e.op {
	case opAddKey:
		m, key = target, target.Content[len(target.Content)-2]
	case opSetValue:
		m, key = target, target.Content[keyIndex(target, e.key)]
	case opSpliceSeq:
		if len(e.path) >= 2 {
			m = e.path[len(e.path)-2]
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i+1] == target {
					key = m.Content[i]
				}
			}
		}
	}
	if key == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(sps) == 0 || key.Line < 1 || key.Line > s.lines() {
		return window{}, false
	}
	col := key.Column - 1
	w := window{m: m, key: key, col: col, start: s.lineStart[key.Line-1], end: len(s.src)}
	if e.op == opAddKey && len(sps) == 1 && (s.endsClean(m, sps[0].start) || s.closedBy(m, sps[0].start, &w)) {
		// The new entry alone: what stands before it in m is closed.
		w.key, w.start, w.col = nil, sps[0].start, m.Content[0].Column-1
	} else if indentOf(s.line(key.Line)) != col {
		return window{}, false // the key shares its line with "- ", "? " or "---"
	}
	sps = append([]splice(nil), sps...)
	sort.SliceStable(sps, func(i, j int) bool { return sps[i].start < sps[j].start })
	last := w.start
	for _, sp := range sps {
		if sp.start < last {
			return window{}, false
		}
		last = sp.end
	}
	// Lines from the one after the last splice: indented deeper, blank, comments and a compact
	// sequence's dashes at col still belong to m's entry.
	for l := sort.SearchInts(s.lineStart, last) + 1; l <= s.lines(); l++ {
		line := s.line(l)
		if isBlank(line) || isComment(line) {
			continue
		}
		ind := indentOf(line)
		if ind > w.col || (ind == w.col && isDash(line[ind:])) {
			continue
		}
		w.end = s.lineStart[l-1]
		if ind == w.col && !isMarker(line, "...") {
			w.next = l
		}
		break
	}
	var b bytes.Buffer
	b.Grow(w.end - w.start + 64)
	pos := w.start
	for _, sp := range sps {
		b.Write(s.src[pos:sp.start])
		b.WriteString(sp.probe)
		pos = sp.end
	}
	b.Write(s.src[pos:w.end])
	w.text = b.Bytes()
	if w.end < len(s.src) && !bytes.HasSuffix(w.text, []byte("\n")) {
		return window{}, false // the window must hand the next line over at its start
	}
	if w.key == nil {
		probe := strings.Repeat(" ", w.col) + scalarText(recipe.Scalar(e.key)) + ": ~" + s.eol
		rest, ok := bytes.CutPrefix(bytes.TrimLeft(w.text, "\r\n"), []byte(probe))
		for _, line := range bytes.SplitAfter(rest, []byte("\n")) {
			ok = ok && (isBlank(line) || isComment(line))
		}
		if ok {
			w.probeOnly = e.key
		}
	}
	return w, true
}

// endsClean reports whether, at offset end (a line start or the end of the source), the text
// of the block collection n is closed: its last node is a scalar or alias whose token ends on
// its own line, inside block collections only, with only blank and comment lines after it. No
// scalar, flow collection or block scalar is then open at end.
func (s *source) endsClean(n *yaml.Node, end int) bool {
	for n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
			return false
		}
		n = n.Content[len(n.Content)-1]
	}
	off := s.offset(n)
	if off < 0 || (end < len(s.src) && (end == 0 || s.src[end-1] != '\n')) {
		return false
	}
	rest := s.line(n.Line)[off-s.lineStart[n.Line-1]:]
	tok := -1
	switch {
	case n.Kind == yaml.AliasNode && bytes.HasPrefix(rest, []byte("*"+n.Value)):
		tok = 1 + len(n.Value)
	case n.Kind != yaml.ScalarNode:
	case n.Style == 0 && n.Value != "" && bytes.HasPrefix(rest, []byte(n.Value)):
		tok = len(n.Value)
	case n.Style == yaml.DoubleQuotedStyle && len(rest) > 0 && rest[0] == '"':
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\\' {
				i++
			} else if rest[i] == '"' {
				tok = i + 1
				break
			}
		}
	case n.Style == yaml.SingleQuotedStyle && len(rest) > 0 && rest[0] == '\'':
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				tok = i + 1
				break
			}
		}
	}
	if tok < 0 {
		return false
	}
	if after := rest[tok:]; !isBlank(after) && !(after[0] == ' ' && isComment(after)) {
		return false
	}
	for l := n.Line + 1; l <= s.lines() && s.lineStart[l-1] < end; l++ {
		if line := s.line(l); !isBlank(line) && !isComment(line) {
			return false
		}
	}
	return true
}

// closedBy sets w.pre to the last entry of block collection n that starts its line, when the
// text from there to end (a line start) holds nothing else: its standalone parse then proves
// the text closed at end.
func (s *source) closedBy(n *yaml.Node, end int, w *window) bool {
	if end == 0 || s.src[end-1] != '\n' {
		return false
	}
	var pre *window
	for len(n.Content) > 0 && n.Style&yaml.FlowStyle == 0 {
		if n.Kind == yaml.MappingNode {
			k := n.Content[len(n.Content)-2]
			if k.Line >= 1 && k.Line <= s.lines() && indentOf(s.line(k.Line)) == k.Column-1 {
				pre = &window{m: n, key: k, col: k.Column - 1, start: s.lineStart[k.Line-1], end: end, next: -1}
			}
		} else if n.Kind != yaml.SequenceNode {
			break
		}
		n = n.Content[len(n.Content)-1]
	}
	if pre == nil || pre.start >= end {
		return false
	}
	pre.text = s.src[pre.start:end]
	w.pre = pre
	return true
}

// isDash reports whether t starts with a block sequence entry's "-".
func isDash(t []byte) bool {
	return len(t) > 0 && t[0] == '-' && (len(t) == 1 || t[1] == ' ' || t[1] == '\t')
}

// equalProbe compares got with want like equalNodes, except that where want has a node of
// inserted, got must have the probe's null.
func equalProbe(got, want *yaml.Node, inserted map[*yaml.Node]bool) bool {
	if inserted[want] {
		return got.Kind == yaml.ScalarNode && got.ShortTag() == "!!null"
	}
	if got.Kind != want.Kind || len(got.Content) != len(want.Content) || got.Anchor != want.Anchor {
		return false
	}
	switch got.Kind {
	case yaml.ScalarNode:
		return got.ShortTag() == want.ShortTag() && got.Value == want.Value
	case yaml.AliasNode:
		return got.Value == want.Value
	}
	if got.Kind != yaml.DocumentNode && got.ShortTag() != want.ShortTag() {
		return false
	}
	for i := range got.Content {
		if !equalProbe(got.Content[i], want.Content[i], inserted) {
			return false
		}
	}
	return true
}

// maskValues replaces the value after "key: " (or "- ") on each generated line by its style
// class, keeping indentation, keys and sequence dashes: the shape a block check covers.
func maskValues(text string) string { return string(appendMask(nil, text)) }

// appendMask appends maskValues(text) to dst.
func appendMask(dst []byte, text string) []byte {
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		text = text[len(line):]
		body := strings.TrimRight(line, "\r\n")
		eol := line[len(body):]
		if i := strings.Index(body, ": "); i >= 0 {
			dst = append(dst, body[:i+2]...)
			dst = append(dst, class(body[i+2:])...)
		} else if t := strings.TrimLeft(body, " "); strings.HasPrefix(t, "- ") && !strings.Contains(t, ":") {
			dst = append(dst, body[:len(body)-len(t)+2]...)
			dst = append(dst, class(t[2:])...)
		} else {
			dst = append(dst, body...)
		}
		dst = append(dst, eol...)
	}
	return dst
}

func class(v string) string {
	if strings.HasPrefix(v, `"`) {
		return `"Q"`
	}
	return "P"
}
