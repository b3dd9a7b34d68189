//
// Copyright (c) 2011-2019 Canonical Ltd
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package fastyaml

import (
	"fmt"
	"strconv"
	"unsafe"

	yaml "go.yaml.in/yaml/v3"
)

// The node types are go-yaml's own: trees from this parser are yaml.Node trees.
type (
	Node  = yaml.Node
	Kind  = yaml.Kind
	Style = yaml.Style
)

const (
	DocumentNode = yaml.DocumentNode
	SequenceNode = yaml.SequenceNode
	MappingNode  = yaml.MappingNode
	ScalarNode   = yaml.ScalarNode
	AliasNode    = yaml.AliasNode

	TaggedStyle       = yaml.TaggedStyle
	DoubleQuotedStyle = yaml.DoubleQuotedStyle
	SingleQuotedStyle = yaml.SingleQuotedStyle
	LiteralStyle      = yaml.LiteralStyle
	FoldedStyle       = yaml.FoldedStyle
	FlowStyle         = yaml.FlowStyle
)

// ----------------------------------------------------------------------------
// Parser, produces a node tree out of a libyaml event stream.

type parser struct {
	parser   yaml_parser_t
	event    yaml_event_t
	anchors  map[string]*Node
	doneInit bool

	// [fastyaml] A document's nodes are allocated a slab at a time, and each collection's
	// children are gathered on one stack, then given a Content of exactly their number, carved
	// from a slab too (capacity cut to length, so an append elsewhere never writes into a
	// neighbour's). go-yaml allocates each node alone and grows each Content by appends.
	nodes     []Node
	children  []*Node
	contents  []*Node
	size      int // bytes of the text, and nodes and pointers handed out so far: the next
	nodesUsed int // slab is sized for the rest of the text at the rate so far
	ptrsUsed  int
}

// A document of the usual shape holds a node per 10-15 bytes, one with a long block scalar
// far fewer: the first slab is sized for a node per 32 bytes (at most 64), each next one for the
// rest of the text at the rate of nodes per byte so far, at most 192 (under 32 KB of nodes: the
// Go allocator's small objects, which it reuses without returning pages).
const (
	bytesPerNode = 32
	slabMin      = 8
	firstSlabMax = 64
	slabMax      = 192
)

// slabSize is the size of the next slab of a kind of which used were handed out so far.
// [fastyaml]
func (p *parser) slabSize(used int) int {
	if used == 0 {
		return min(max(p.size/bytesPerNode, slabMin), firstSlabMax)
	}
	done := max(p.parser.mark.index, 1) // how far the scanner has read
	return min(max(used*max(p.size-done, 0)/done+slabMin, slabMin), slabMax)
}

// newNode returns a zeroed node from the slab. [fastyaml]
func (p *parser) newNode() *Node {
	if len(p.nodes) == 0 {
		p.nodes = make([]Node, p.slabSize(p.nodesUsed))
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	p.nodesUsed++
	return n
}

// content gives the children gathered since base their own Content, and takes them off the
// stack. [fastyaml]
func (p *parser) content(base int) []*Node {
	k := len(p.children) - base
	if k == 0 {
		return nil
	}
	if len(p.contents) < k {
		p.contents = make([]*Node, max(k, p.slabSize(p.ptrsUsed)))
	}
	c := p.contents[:k:k]
	p.contents = p.contents[k:]
	p.ptrsUsed += k
	copy(c, p.children[base:])
	clear(p.children[base:])
	p.children = p.children[:base]
	return c
}

func newParser(b []byte) *parser {
	p := parser{}
	if len(b) == 0 {
		b = []byte{'\n'}
	}
	p.size = len(b)
	if !yaml_parser_whole_input(&p.parser, b) { // [fastyaml]
		yaml_parser_initialize(&p.parser)
		yaml_parser_set_input_string(&p.parser, b)
	}
	return &p
}

func (p *parser) init() {
	if p.doneInit {
		return
	}
	p.anchors = make(map[string]*Node)
	p.expect(yaml_STREAM_START_EVENT)
	p.doneInit = true
}

// expect consumes an event from the event stream and
// checks that it's of the expected type.
func (p *parser) expect(e yaml_event_type_t) {
	if p.event.typ == yaml_NO_EVENT {
		if !yaml_parser_parse(&p.parser, &p.event) {
			p.fail()
		}
	}
	if p.event.typ == yaml_STREAM_END_EVENT {
		failf("attempted to go past the end of stream; corrupted value?")
	}
	if p.event.typ != e {
		p.parser.problem = fmt.Sprintf("expected %s event but got %s", e, p.event.typ)
		p.fail()
	}
	yaml_event_delete(&p.event)
	p.event.typ = yaml_NO_EVENT
}

// peek peeks at the next event in the event stream,
// puts the results into p.event and returns the event type.
func (p *parser) peek() yaml_event_type_t {
	if p.event.typ != yaml_NO_EVENT {
		return p.event.typ
	}
	// It's curious choice from the underlying API to generally return a
	// positive result on success, but on this case return true in an error
	// scenario. This was the source of bugs in the past (issue #666).
	if !yaml_parser_parse(&p.parser, &p.event) || p.parser.error != yaml_NO_ERROR {
		p.fail()
	}
	return p.event.typ
}

func (p *parser) fail() {
	var where string
	var line int
	if p.parser.context_mark.line != 0 {
		line = p.parser.context_mark.line
		// Scanner errors don't iterate line before returning error
		if p.parser.error == yaml_SCANNER_ERROR {
			line++
		}
	} else if p.parser.problem_mark.line != 0 {
		line = p.parser.problem_mark.line
		// Scanner errors don't iterate line before returning error
		if p.parser.error == yaml_SCANNER_ERROR {
			line++
		}
	}
	if line != 0 {
		where = "line " + strconv.Itoa(line) + ": "
	}
	var msg string
	if len(p.parser.problem) > 0 {
		msg = p.parser.problem
	} else {
		msg = "unknown problem parsing YAML content"
	}
	failf("%s%s", where, msg)
}

func (p *parser) anchor(n *Node, anchor []byte) {
	if anchor != nil {
		n.Anchor = string(anchor)
		p.anchors[n.Anchor] = n
	}
}

func (p *parser) parse() *Node {
	p.init()
	switch p.peek() {
	case yaml_SCALAR_EVENT:
		return p.scalar()
	case yaml_ALIAS_EVENT:
		return p.alias()
	case yaml_MAPPING_START_EVENT:
		return p.mapping()
	case yaml_SEQUENCE_START_EVENT:
		return p.sequence()
	case yaml_DOCUMENT_START_EVENT:
		return p.document()
	case yaml_STREAM_END_EVENT:
		// Happens when attempting to decode an empty buffer.
		return nil
	case yaml_TAIL_COMMENT_EVENT:
		panic("internal error: unexpected tail comment event (please report)")
	default:
		panic("internal error: attempted to parse unknown event (please report): " + p.event.typ.String())
	}
}

func (p *parser) node(kind Kind, defaultTag, tag, value string) *Node {
	var style Style
	if tag != "" && tag != "!" {
		tag = shortTag(tag)
		style = TaggedStyle
	} else if defaultTag != "" {
		tag = defaultTag
	} else if kind == ScalarNode {
		tag = resolveTag(value) // [fastyaml]
	}
	n := p.newNode()
	n.Kind, n.Tag, n.Value, n.Style = kind, tag, value, style
	n.Line = p.event.start_mark.line + 1
	n.Column = p.event.start_mark.column + 1
	n.HeadComment = string(p.event.head_comment)
	n.LineComment = string(p.event.line_comment)
	n.FootComment = string(p.event.foot_comment)
	return n
}

// parseChild parses the next node and gathers it as a child of the collection being parsed
// (see content). [fastyaml]
func (p *parser) parseChild() *Node {
	child := p.parse()
	p.children = append(p.children, child)
	return child
}

func (p *parser) document() *Node {
	n := p.node(DocumentNode, "", "", "")
	p.expect(yaml_DOCUMENT_START_EVENT)
	base := len(p.children)
	p.parseChild()
	n.Content = p.content(base)
	if p.peek() == yaml_DOCUMENT_END_EVENT {
		n.FootComment = string(p.event.foot_comment)
	}
	p.expect(yaml_DOCUMENT_END_EVENT)
	return n
}

func (p *parser) alias() *Node {
	n := p.node(AliasNode, "", "", string(p.event.anchor))
	n.Alias = p.anchors[n.Value]
	if n.Alias == nil {
		failf("unknown anchor '%s' referenced", n.Value)
	}
	p.expect(yaml_ALIAS_EVENT)
	return n
}

func (p *parser) scalar() *Node {
	var parsedStyle = p.event.scalar_style()
	var nodeStyle Style
	switch {
	case parsedStyle&yaml_DOUBLE_QUOTED_SCALAR_STYLE != 0:
		nodeStyle = DoubleQuotedStyle
	case parsedStyle&yaml_SINGLE_QUOTED_SCALAR_STYLE != 0:
		nodeStyle = SingleQuotedStyle
	case parsedStyle&yaml_LITERAL_SCALAR_STYLE != 0:
		nodeStyle = LiteralStyle
	case parsedStyle&yaml_FOLDED_SCALAR_STYLE != 0:
		nodeStyle = FoldedStyle
	}
	// [fastyaml] The scanner builds each scalar's value in a slice of its own that nothing
	// writes again: the string shares it instead of copying it.
	var nodeValue = unsafe.String(unsafe.SliceData(p.event.value), len(p.event.value))
	var nodeTag = string(p.event.tag)
	var defaultTag string
	if nodeStyle == 0 {
		if nodeValue == "<<" {
			defaultTag = mergeTag
		}
	} else {
		defaultTag = strTag
	}
	n := p.node(ScalarNode, defaultTag, nodeTag, nodeValue)
	n.Style |= nodeStyle
	p.anchor(n, p.event.anchor)
	p.expect(yaml_SCALAR_EVENT)
	return n
}

func (p *parser) sequence() *Node {
	n := p.node(SequenceNode, seqTag, string(p.event.tag), "")
	if p.event.sequence_style()&yaml_FLOW_SEQUENCE_STYLE != 0 {
		n.Style |= FlowStyle
	}
	p.anchor(n, p.event.anchor)
	p.expect(yaml_SEQUENCE_START_EVENT)
	base := len(p.children)
	for p.peek() != yaml_SEQUENCE_END_EVENT {
		p.parseChild()
	}
	n.Content = p.content(base)
	n.LineComment = string(p.event.line_comment)
	n.FootComment = string(p.event.foot_comment)
	p.expect(yaml_SEQUENCE_END_EVENT)
	return n
}

func (p *parser) mapping() *Node {
	n := p.node(MappingNode, mapTag, string(p.event.tag), "")
	block := true
	if p.event.mapping_style()&yaml_FLOW_MAPPING_STYLE != 0 {
		block = false
		n.Style |= FlowStyle
	}
	p.anchor(n, p.event.anchor)
	p.expect(yaml_MAPPING_START_EVENT)
	base := len(p.children)
	for p.peek() != yaml_MAPPING_END_EVENT {
		k := p.parseChild()
		if block && k.FootComment != "" {
			// Must be a foot comment for the prior value when being dedented.
			if len(p.children)-base > 2 {
				p.children[len(p.children)-3].FootComment = k.FootComment
				k.FootComment = ""
			}
		}
		v := p.parseChild()
		if k.FootComment == "" && v.FootComment != "" {
			k.FootComment = v.FootComment
			v.FootComment = ""
		}
		if p.peek() == yaml_TAIL_COMMENT_EVENT {
			if k.FootComment == "" {
				k.FootComment = string(p.event.foot_comment)
			}
			p.expect(yaml_TAIL_COMMENT_EVENT)
		}
	}
	n.Content = p.content(base)
	n.LineComment = string(p.event.line_comment)
	n.FootComment = string(p.event.foot_comment)
	if n.Style&FlowStyle == 0 && n.FootComment != "" && len(n.Content) > 1 {
		n.Content[len(n.Content)-2].FootComment = n.FootComment
		n.FootComment = ""
	}
	p.expect(yaml_MAPPING_END_EVENT)
	return n
}

// yaml.go

func handleErr(err *error) {
	if v := recover(); v != nil {
		if e, ok := v.(yamlError); ok {
			*err = e.err
		} else {
			panic(v)
		}
	}
}

type yamlError struct {
	err error
}

func failf(format string, args ...interface{}) {
	panic(yamlError{fmt.Errorf("yaml: "+format, args...)})
}
