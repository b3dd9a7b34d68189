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

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/yamlerr"
)

// Document injects into one YAML document given as bytes. It returns src itself when nothing
// changes, so untouched documents stay byte-identical. Error lines are relative to src.
func (in *Injector) Document(src []byte) ([]byte, []Report, error) {
	return in.DocumentInspect(src, nil)
}

// DocumentInspect is Document that first hands the parsed root, unchanged, to inspect (KRM mode
// reads each item's identity and file annotations there instead of parsing it again).
//
// The changed text is splices of src: our lines and entries added, a null we replace and our
// own earlier metrics removed, nothing else. It is parsed again and must read as the edited
// tree, or nothing is returned but an error. A panic (a bug of ours) is an error too, naming
// the document's resource.
func (in *Injector) DocumentInspect(src []byte, inspect func(root *yaml.Node)) (out []byte, reports []Report, err error) {
	var root *yaml.Node
	defer func() {
		if p := recover(); p != nil {
			e := &Error{Line: 1, Msg: fmt.Sprintf("internal error: %v; nothing written, please report this input", p)}
			if root != nil {
				e.Line, e.Resource = root.Line, resourceOf(root)
			}
			out, reports, err = nil, nil, e
		}
	}()
	doc, err := ParseDocument(src)
	if err != nil || doc == nil {
		return src, nil, err
	}
	root = doc.Content[0]
	if inspect != nil {
		inspect(root)
	}
	edits, reports, err := in.plan(doc)
	if err != nil || len(edits) == 0 {
		return src, reports, err
	}
	bad := func(msg string) error { return &Error{Line: root.Line, Resource: resourceOf(root), Msg: msg} }
	out, err = newSource(src, root).apply(edits)
	if err != nil {
		return nil, nil, bad(fmt.Sprintf("cannot place the metrics in this layout (%v); nothing written, please report this input", err))
	}
	applyTree(edits)
	if !sameAs(out, doc) {
		return nil, nil, bad("internal error: the changed document does not read back as the input plus the metrics; nothing written, please report this input")
	}
	return out, reports, nil
}

// resourceOf names the resource at root for messages ("" when it has no kind).
func resourceOf(root *yaml.Node) string {
	kind := scalarValue(root, "kind")
	if kind == "" {
		return ""
	}
	md := lookup(root, "metadata")
	return ResourceName(kind, scalarValue(md, "namespace"), scalarValue(md, "name"))
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
	if err := notText(src); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err, src)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(err, src)
		}
		return nil, &Error{Line: extra.Line, Msg: "unexpected second document; separate documents with ---"}
	}
	if err := checkDocument(&doc); err != nil {
		if e, ok := err.(*Error); ok && len(doc.Content) > 0 {
			e.Resource = resourceOf(doc.Content[0])
		}
		return nil, err
	}
	return &doc, nil
}

// notText reports what makes src no YAML text, at its line: a NUL byte, then invalid UTF-8, then
// a character YAML does not allow raw (C0 controls other than tab and line breaks, DEL, C1
// controls other than NEL, U+FFFE, U+FFFF), which go-yaml refuses without saying where.
func notText(src []byte) error {
	nul, invalid, control := -1, -1, -1
	var bad rune
	for off := 0; off < len(src); {
		c := src[off]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' || c == '\r' {
			off++
			continue
		}
		r, size := utf8.DecodeRune(src[off:])
		switch {
		case c == 0:
			nul = off
		case r == utf8.RuneError && size <= 1:
			if invalid < 0 {
				invalid = off
			}
		case control < 0 && (r < 0x20 || r >= 0x7f && r <= 0x9f && r != 0x85 || r == 0xfffe || r == 0xffff):
			control, bad = off, r
		}
		if nul >= 0 {
			return &Error{Line: lineOfOffset(src, nul), Msg: "NUL byte in input: not a YAML text"}
		}
		off += size
	}
	if invalid >= 0 {
		return &Error{Line: lineOfOffset(src, invalid), Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): YAML must be UTF-8 text", src[invalid])}
	}
	if control >= 0 {
		return &Error{Line: lineOfOffset(src, control), Msg: fmt.Sprintf("control character U+%04X is not allowed in YAML; write it escaped in a double-quoted string", bad)}
	}
	return nil
}

func yamlError(err error, src []byte) error {
	line, msg := yamlerr.Locate(err, src)
	return &Error{Line: line, Msg: "invalid YAML: " + msg}
}

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
