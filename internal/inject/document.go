package inject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/fastyaml"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/yamlerr"
)

// Document injects into one YAML document given as bytes. It returns src itself when nothing
// changes, so untouched documents stay byte-identical. Error lines are relative to src.
func (in *Injector) Document(src []byte) ([]byte, []Report, error) {
	out, reports, _, err := in.document(src, nil)
	return out, reports, err
}

// DocumentInspect is Document that first hands the parsed root, unchanged, to inspect (KRM mode
// reads each item's identity and file annotations there instead of parsing it again).
func (in *Injector) DocumentInspect(src []byte, inspect func(root *yaml.Node)) ([]byte, []Report, error) {
	out, reports, _, err := in.document(src, inspect)
	return out, reports, err
}

// document is DocumentInspect, also saying whether the output is a re-encoding (the fallback,
// which may restyle lines that are not ours) rather than splices of the original text.
func (in *Injector) document(src []byte, inspect func(root *yaml.Node)) ([]byte, []Report, bool, error) {
	doc, err := ParseDocument(src)
	if err != nil || doc == nil {
		return src, nil, false, err
	}
	if inspect != nil && len(doc.Content) > 0 {
		inspect(doc.Content[0])
	}
	edits, reports, err := in.plan(doc)
	if err != nil || len(edits) == 0 {
		return src, reports, false, err
	}
	root := doc.Content[0]
	s := newSource(src, root)
	last := lastDescendant(root)
	r, ok := s.applyText(edits)
	applyTree(edits)
	if ok && in.verify(r, doc) {
		return r.out, reports, false, nil
	}
	if ok && endsInBlockScalar(src, last) {
		// Lines added after a block scalar that ended the text without a line break give it
		// that final break (the one difference a first injection may make): say so, verify again.
		last.Value += "\n"
		if in.verify(r, doc) {
			return r.out, reports, false, nil
		}
		last.Value = strings.TrimSuffix(last.Value, "\n")
	}
	// The splicer met a layout it does not handle: re-encode the document, keeping comments
	// and key order, rather than write something that does not read back as intended.
	out, err := s.encode(doc)
	if err != nil {
		return nil, nil, false, &Error{Line: root.Line, Msg: fmt.Sprintf("cannot write the changed document: %v", err)}
	}
	if !sameAs(out, doc) {
		return nil, nil, false, &Error{Line: root.Line, Msg: "internal error: the changed document does not read back as intended; please report this input"}
	}
	return out, reports, true, nil
}

// endsInBlockScalar reports whether src ends, without a final line break, in the block scalar
// last, whose value then has no final break either.
func endsInBlockScalar(src []byte, last *yaml.Node) bool {
	return len(src) > 0 && src[len(src)-1] != '\n' && last.Kind == yaml.ScalarNode &&
		last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && !strings.HasSuffix(last.Value, "\n")
}

// Plan is the pending change of one parsed document (KRM mode, where kyaml writes the output).
// Planning every document before applying any keeps a failing run from changing anything.
type Plan struct {
	Reports []Report
	edits   []edit
}

// PlanTree plans injection into a parsed document without changing it.
func (in *Injector) PlanTree(doc *yaml.Node) (*Plan, error) {
	if err := checkDocument(doc); err != nil {
		return nil, err
	}
	edits, reports, err := in.plan(doc)
	if err != nil {
		return nil, err
	}
	return &Plan{Reports: reports, edits: edits}, nil
}

// Apply changes the planned document in place.
func (p *Plan) Apply() { applyTree(p.edits) }

// ParseDocument parses exactly one document (nil for a comment-only one) and checks what the
// YAML parser lets through but Kubernetes refuses. Error lines are relative to src.
func ParseDocument(src []byte) (*yaml.Node, error) {
	// fastyaml is go-yaml's parser, faster; the splices are still verified with go-yaml itself.
	// A text it takes whole has no NUL byte and is UTF-8: only others need the checks.
	p := fastyaml.NewParser(src)
	if !p.Whole() {
		if err := notText(src); err != nil {
			return nil, err
		}
	}
	return parsed(p, src)
}

// notText reports a NUL byte or invalid UTF-8, which make src no YAML text at all.
func notText(src []byte) error {
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return &Error{Line: lineOfByte(src, i), Msg: "NUL byte in input: not a YAML text"}
	}
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return &Error{Line: lineOfByte(src, off), Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): YAML must be UTF-8 text", src[off])}
	}
	return nil
}

// parsed reads the one document of src from p, and checks it.
func parsed(p *fastyaml.Parser, src []byte) (*yaml.Node, error) {
	doc, err := p.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err, src)
	}
	if extra, err := p.Next(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(err, src)
		}
		return nil, &Error{Line: extra.Line, Msg: "unexpected second document; separate documents with ---"}
	}
	if err := checkDocument(doc); err != nil {
		if e, ok := err.(*Error); ok && len(doc.Content) > 0 {
			root := doc.Content[0]
			if kind := scalarValue(root, "kind"); kind != "" {
				md := lookup(root, "metadata")
				e.Resource = ResourceName(kind, scalarValue(md, "namespace"), scalarValue(md, "name"))
			}
		}
		return nil, err
	}
	return doc, nil
}

func yamlError(err error, src []byte) error {
	line, msg := yamlerr.Locate(err, src)
	return &Error{Line: line, Msg: "invalid YAML: " + msg}
}

func lineOfByte(src []byte, off int) int { return bytes.Count(src[:off], []byte("\n")) + 1 }

// checkDocument refuses duplicate mapping keys, which YAML parsers disagree on and the
// Kubernetes API refuses.
func checkDocument(doc *yaml.Node) error {
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
					continue
				}
				for j := 0; j < i; j += 2 {
					if p := n.Content[j]; p.Kind == yaml.ScalarNode && p.Value == k.Value && p.ShortTag() == k.ShortTag() {
						return &Error{Line: k.Line, Msg: fmt.Sprintf("duplicate key %q (first %s)", k.Value, above(p, k))}
					}
				}
			}
			if err := sameJSONKey(n); err != nil {
				return err
			}
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(doc)
}

// above says where the first of two keys is, relative to the second: callers shift the error's
// line to where the document starts in its file, but cannot shift a line in the message.
func above(first, dup *yaml.Node) string {
	switch n := dup.Line - first.Line; n {
	case 0:
		return "earlier on the same line"
	case 1:
		return "on the line above"
	default:
		return fmt.Sprintf("%d lines above", n)
	}
}

// sameJSONKey refuses two keys of a mapping that are one key for Kubernetes: kubectl and the API
// server turn YAML into JSON with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1), where `1`, `"1"`,
// `0x1` and `1.0` are all "1", and `yes`, `on` and `true` all "true"; one value is then kept at
// random. Only plain keys that may not read as strings are asked, so most mappings cost nothing.
func sameJSONKey(n *yaml.Node) error {
	var seen map[string]*yaml.Node
	for i := 0; i+1 < len(n.Content) && seen == nil; i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Style == 0 && yaml11NonString(k.Value) {
			seen = map[string]*yaml.Node{}
		}
	}
	for i := 0; seen != nil && i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			continue
		}
		key := k.Value
		if k.Style == 0 && yaml11NonString(k.Value) {
			key = jsonKey(k.Value)
		}
		if p := seen[key]; p != nil {
			return &Error{Line: k.Line, Msg: fmt.Sprintf("duplicate key %q for Kubernetes (first %s, as %q): both are the JSON key %q", k.Value, above(p, k), p.Value, key)}
		}
		seen[key] = k
	}
	return nil
}

// jsonKey is the JSON key sigs.k8s.io/yaml makes of a plain YAML key (itself if it makes none).
func jsonKey(plain string) string {
	var m map[string]json.RawMessage
	if j, err := sigyaml.YAMLToJSON([]byte(plain + ": 0")); err == nil && json.Unmarshal(j, &m) == nil {
		for k := range m {
			return k
		}
	}
	return plain
}

// yaml11NonString reports whether a plain scalar may resolve to something other than a string
// in go-yaml v2 (its resolve.go: a number, or one of its words for booleans and null).
func yaml11NonString(v string) bool {
	if v == "" || strings.IndexByte("0123456789+-.", v[0]) >= 0 {
		return true
	}
	switch v {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// sameAs reports whether text parses to a tree equal to want.
func sameAs(text []byte, want *yaml.Node) bool {
	var got yaml.Node
	if err := yaml.Unmarshal(text, &got); err != nil {
		return false
	}
	return equalNodes(&got, want)
}

// encode re-encodes a whole document in its own style: JSON stays JSON, YAML keeps comments,
// key order, indentation step and sequence style. Leading "---" and directives are kept.
func (s *source) encode(doc *yaml.Node) ([]byte, error) {
	var head []byte
	for l := 1; l <= s.lines(); l++ {
		line := s.line(l)
		if bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("%")) {
			head = s.src[:s.lineEnd(l)]
			continue
		}
		if !isBlank(line) && !isComment(line) {
			break
		}
	}
	root := doc.Content[0]
	if root.Style&yaml.FlowStyle != 0 && len(head) == 0 {
		if text, ok := s.genericJSON(root, true, 0, 2); ok {
			return []byte(text + s.eol), nil
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(s.unit)
	if s.seqIndent == 0 {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	out := b.Bytes()
	if s.eol == "\r\n" {
		out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
	}
	return append(append([]byte(nil), head...), out...), nil
}
