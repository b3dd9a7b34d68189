package inject

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// verify proves that spliced text reads back as the edited tree, without re-parsing every
// generated line of every document (that doubled the cost of a run):
//
//   - Positions: the document is parsed with each generated block replaced by a one-line probe
//     at the same place ("key: ~", one "- ~" per item). The probe tree must equal the edited tree
//     with each generated node read as null. Generated blocks are indented deeper than the line
//     they start on and end before a line indented less, so the probe attaches where the block
//     does.
//   - Blocks: each generated block must parse on its own to its nodes. Blocks differ between
//     resources only in scalar values, and each value is one token on its line, plain-safe or a
//     JSON string, so one check per block shape (the text with values masked) covers them all.
//
// Edits to flow collections have no probe; their whole output is parsed and compared instead.
func (in *Injector) verify(r *spliced, doc *yaml.Node) bool {
	if r.full {
		return sameAs(r.out, doc)
	}
	var got yaml.Node
	if err := yaml.Unmarshal(r.probe, &got); err != nil || !equalProbe(&got, doc, r.inserted) {
		return false
	}
	for _, b := range r.blocks {
		shape := maskValues(b.text)
		if _, ok := in.shapes.Load(shape); ok {
			continue
		}
		var g yaml.Node
		if err := yaml.Unmarshal([]byte(b.text), &g); err != nil || len(g.Content) != 1 || !equalNodes(g.Content[0], b.want) {
			return false
		}
		in.shapes.Store(shape, true)
	}
	return true
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
func maskValues(text string) string {
	var b strings.Builder
	b.Grow(len(text) / 2)
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimRight(line, "\r\n")
		eol := line[len(body):]
		head := body
		if i := strings.Index(body, ": "); i >= 0 {
			head = body[:i+2]
			b.WriteString(head)
			b.WriteString(class(body[i+2:]))
		} else if t := strings.TrimLeft(body, " "); strings.HasPrefix(t, "- ") && !strings.Contains(t, ":") {
			b.WriteString(body[:len(body)-len(t)+2])
			b.WriteString(class(t[2:]))
		} else {
			b.WriteString(body)
		}
		b.WriteString(eol)
	}
	return b.String()
}

func class(v string) string {
	if strings.HasPrefix(v, `"`) {
		return `"Q"`
	}
	return "P"
}
