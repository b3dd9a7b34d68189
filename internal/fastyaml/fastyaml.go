// Package fastyaml is go-yaml v3's parser (go.yaml.in/yaml/v3 v3.0.5: its reader, scanner,
// parser and node builder; MIT and Apache-2.0, see LICENSE and NOTICE) made faster on a text
// held in memory, which is how argo-metrics-gen reads every document. It builds the same
// yaml.Node trees, with the same lines, columns, styles, tags and comments, and returns the same
// errors as yaml.NewDecoder(bytes.NewReader(src)).Decode(&node): TestSameAsGoYAML and
// FuzzSameAsGoYAML hold it to that. The changes, marked [fastyaml] in the code:
//   - the reader takes a UTF-8 text that needs no decoding as its buffer in one step instead of
//     decoding it character by character in 512-byte rounds (readerc.go);
//   - a plain scalar's run of ASCII characters that cannot end it is copied, and a run of
//     spaces between tokens skipped, at once (scannerc.go);
//   - a plain scalar's tag is resolved without decoding its value (resolve.go), and its value
//     string shares the bytes the scanner built (decode.go);
//   - a whole input's buffer is never moved, so a scalar that is one piece of the text (plain
//     without folding, quoted on one line without escapes) is that piece of the buffer, not a
//     copy (scannerc.go, readerc.go); keep a value beyond the tree with strings.Clone, or it
//     keeps the document's text alive;
//   - nodes and Contents come from slabs sized by the text, each Content exactly as long as its
//     children; a parser's stacks are handed on to the next at its end (decode.go, readerc.go).
//
// Only the parser is here (no emitter, no decoding into Go values): go-yaml itself does that.
package fastyaml

import "io"

// Parser reads the documents of one YAML text.
type Parser struct {
	p    *parser
	done bool // the end was read, and the parser's stacks handed on
}

// NewParser returns a parser of src, which must not change while it is read.
func NewParser(src []byte) *Parser { return &Parser{p: newParser(src)} }

// Whole reports whether the parser took its text whole: UTF-8 holding only characters YAML
// allows, so no NUL byte and no invalid sequence. A text it did not take whole is read by
// go-yaml's own reader, which reports what it refuses.
func (p *Parser) Whole() bool { return p.p.parser.whole }

// Next returns the next document node, or io.EOF after the last: go-yaml's Decoder.Decode into
// a yaml.Node, on the same text.
func (p *Parser) Next() (doc *Node, err error) {
	if p.done {
		return nil, io.EOF
	}
	defer handleErr(&err)
	if doc = p.p.parse(); doc == nil {
		p.done = true
		yaml_parser_release_stacks(&p.p.parser)
		return nil, io.EOF
	}
	return doc, nil
}
