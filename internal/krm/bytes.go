package krm

import (
	"bytes"
	"fmt"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// Bytes is the function on a ResourceList's text, as pipe mode treats a kind: List: each item is
// cut out of the text, injected and verified as a document of its own, and its
// bytes go back in place; no item is ever held as an RNode (kyaml's framework needs about 300
// bytes of memory per input byte). It returns the output as pieces, and ok false when data is
// not a ResourceList laid out the way Kustomize and kpt write one (block style, one "- " entry
// per item, no results yet) or when anything fails: Processor's path then runs and reports in
// its own terms, so errors, and their output, are exactly those of kyaml's framework.
//
// Cutting is proven, not trusted: the list without its items must parse with "items:" empty on
// the line the cut found, and each item, its "- " blanked, must parse as a mapping on its own.
// An item whose text parses alone has no token left of its own indentation (that would end the
// root mapping), so YAML reads it the same inside the list.
func Bytes(data []byte) (pieces [][]byte, ok bool) { return BytesWith(data, nil) }

// BytesWith is Bytes with the configuration of --config (cfg; nil: functionConfig's), as
// ProcessorWith.
func BytesWith(data []byte, cfg *config.Config) (pieces [][]byte, ok bool) {
	l, ok := cut(data)
	if !ok {
		return nil, false
	}
	rl, err := inject.ParseDocument(append(append([]byte(nil), l.head...), l.tail...))
	if err != nil || rl == nil || rl.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	root := rl.Content[0]
	itemsKey, items := entry(root, "items")
	fnConfig := value(root, "functionConfig")
	if field(root, "apiVersion") != kio.ResourceListAPIVersion || field(root, "kind") != kio.ResourceListKind ||
		items == nil || itemsKey.Line != l.itemsLine || itemsKey.Column != 1 || items.Tag != "!!null" || items.Value != "" ||
		value(root, "results") != nil {
		return nil, false
	}
	for i := 0; i < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion", "kind", "items", "functionConfig":
		default:
			return nil, false // what the framework reads beyond these (metadata: 0 fails it) is its to judge
		}
	}
	if cfg != nil && fnConfig != nil && value(fnConfig, "spec") != nil {
		return nil, false // two configurations: ProcessorWith refuses it
	}
	if cfg == nil {
		cfg = config.Default()
		if fnConfig != nil && fnConfig.Tag != "!!null" {
			if fnConfig.Kind != yaml.MappingNode {
				return nil, false
			}
			if len(fnConfig.Content) > 0 {
				if cfg, err = config.FromNode(fnConfig); err != nil {
					return nil, false
				}
			}
		}
	}

	// Blank each item's dash so it reads as a document; put the dashes back after, so data is
	// unchanged for the framework's path and the unchanged items' text is theirs again.
	for _, p := range l.items {
		data[p[0]+l.dash] = ' '
	}
	outs, infos, ok := injectItems(&inject.Injector{Config: cfg}, data, l)
	for _, p := range l.items {
		data[p[0]+l.dash] = '-'
	}
	if !ok {
		return nil, false
	}

	pieces = make([][]byte, 0, len(outs)+3)
	pieces = append(pieces, l.head)
	var res framework.Results
	counts := map[inject.Action]int{}
	indent := bytes.Repeat([]byte(" "), l.dash+2)
	for i, out := range outs {
		if &out[0] != &data[l.items[i][0]] { // a new text (the input's own has its dash back)
			if !bytes.HasPrefix(out, indent) {
				return nil, false // not an entry of this list any more
			}
			out[l.dash] = '-'
		}
		pieces = append(pieces, out)
		res = appendReports(res, counts, infos[i].reports, infos[i].ref, infos[i].file)
	}
	last := l.tail
	if len(last) == 0 {
		last = pieces[len(pieces)-1]
	}
	pieces = append(pieces, l.tail)
	if last[len(last)-1] != '\n' { // never empty: the head has "items:", an item its indentation
		pieces = append(pieces, []byte("\n"))
	}
	if !sameItems(bytes.Join(pieces, nil), len(l.items)) {
		return nil, false
	}
	res = append(res, summary(counts))
	text, err := resultsText(res)
	if err != nil {
		return nil, false
	}
	return append(pieces, text), true
}

// sameItems is the last check of the output before it is written: cut the same way, it must
// hold n items (each was parsed again and compared with what it must read as; what is left to go
// wrong is the list's assembly). On a refusal the framework's path runs and reports.
func sameItems(out []byte, n int) bool {
	l, ok := cut(out)
	return ok && len(l.items) == n
}

// layout is where a ResourceList's items sit in its text.
type layout struct {
	head, tail []byte   // the list before its first item (through "items:") and after its last
	items      [][2]int // byte ranges of the items, each from its "- " line
	dash       int      // column of the items' dashes
	itemsLine  int      // line of the "items:" key
}

// cut finds the items of a block-style ResourceList by lines: "items:" at column 0, then one
// item per line with "- " at the first item's dash column, up to the first line of content
// left of it (or at it without a dash). Blank and comment lines go with the item before them.
func cut(data []byte) (layout, bool) {
	var l layout
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || bytes.ContainsRune(data, '\r') {
		return l, false
	}
	off, line := 0, 1
	sawKind, sawItems := false, false
	for off < len(data) && !sawItems {
		next := lineEnd(data, off)
		text := data[off:next]
		switch {
		case isMarker(text):
			return l, false
		case bytes.HasPrefix(text, []byte("kind: ResourceList")):
			sawKind = true
		case isItemsKey(text):
			sawItems, l.itemsLine = true, line
		}
		off, line = next, line+1
	}
	if !sawItems || !sawKind {
		return l, false
	}
	l.dash = -1
	var starts []int // of the items
	tail := len(data)
scan:
	for ; off < len(data); off = lineEnd(data, off) {
		text := bytes.TrimRight(data[off:lineEnd(data, off)], "\n")
		ind := 0
		for ind < len(text) && text[ind] == ' ' {
			ind++
		}
		if ind == len(text) || text[ind] == '#' {
			continue
		}
		dash := bytes.HasPrefix(text[ind:], []byte("- "))
		if l.dash < 0 {
			if !dash {
				tail = off
				break scan
			}
			l.dash = ind
		}
		switch {
		case ind < l.dash || (ind == l.dash && !dash):
			tail = off
			break scan
		case ind == l.dash:
			starts = append(starts, off)
		}
	}
	l.head, l.tail = data[:tail], data[tail:]
	for i, start := range starts {
		end := tail
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		l.items = append(l.items, [2]int{start, end})
	}
	if len(starts) > 0 {
		l.head = data[:starts[0]]
	}
	for off := 0; off < len(l.tail); off = lineEnd(l.tail, off) {
		if isMarker(l.tail[off:lineEnd(l.tail, off)]) {
			return l, false
		}
	}
	return l, true
}

func lineEnd(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(data)
}

func isMarker(line []byte) bool {
	for _, m := range []string{"---", "..."} {
		if bytes.HasPrefix(line, []byte(m)) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n') {
			return true
		}
	}
	return false
}

// isItemsKey: "items:" alone on its line (a comment may follow), its value on the next lines.
func isItemsKey(line []byte) bool {
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\n"), []byte("items:"))
	if !ok {
		return false
	}
	trimmed := bytes.TrimLeft(rest, " ")
	return len(trimmed) == 0 || trimmed[0] == '#' // "items:#x" is a key of its own: the head's parse declines it
}

type itemInfo struct {
	reports []inject.Report
	ref     *kyaml.ResourceIdentifier
	file    *framework.File
}

// injectItems injects into every item, one after the other. Planning every item before any
// output is used keeps a failing run from changing anything: one failure and nothing is returned.
func injectItems(in *inject.Injector, data []byte, l layout) ([][]byte, []itemInfo, bool) {
	outs := make([][]byte, len(l.items))
	infos := make([]itemInfo, len(l.items))
	for i, item := range l.items {
		readable := false
		out, reps, err := in.DocumentInspect(data[item[0]:item[1]], func(root *yaml.Node) {
			readable = root.Kind == yaml.MappingNode && annotatable(root)
			infos[i].ref, infos[i].file = identity(root)
		})
		if err != nil || !readable || len(out) == 0 {
			return nil, nil, false
		}
		outs[i], infos[i].reports = out, reps
	}
	return outs, infos, true
}

// annotatable: kyaml's reader can annotate the item as it is: no metadata, or metadata a mapping
// whose annotations, if any, are a mapping or null. Its reader fails on "metadata: 0" and
// replaces "annotations: 0" (the item then comes back without it), so the byte path leaves
// those to it. (Null annotations it drops, as Kubernetes reads them: the byte path keeps them.)
func annotatable(item *yaml.Node) bool {
	md := value(item, "metadata")
	if md == nil {
		return true
	}
	annots := value(md, "annotations")
	return md.Kind == yaml.MappingNode && (annots == nil || annots.Kind == yaml.MappingNode || annots.Tag == "!!null")
}

// identity is what resourceRef and fileRef read from an RNode, read from the parsed item.
func identity(item *yaml.Node) (*kyaml.ResourceIdentifier, *framework.File) {
	md := value(item, "metadata")
	ref := &kyaml.ResourceIdentifier{
		TypeMeta: kyaml.TypeMeta{APIVersion: field(item, "apiVersion"), Kind: field(item, "kind")},
		NameMeta: kyaml.NameMeta{Name: field(md, "name"), Namespace: field(md, "namespace")},
	}
	annots := value(md, "annotations")
	path, idx := field(annots, kioutil.PathAnnotation), field(annots, kioutil.IndexAnnotation)
	if value(annots, kioutil.PathAnnotation) == nil {
		path = field(annots, kioutil.LegacyPathAnnotation)
	}
	if value(annots, kioutil.IndexAnnotation) == nil {
		idx = field(annots, kioutil.LegacyIndexAnnotation)
	}
	if path == "" {
		return ref, nil
	}
	f := &framework.File{Path: path}
	fmt.Sscanf(idx, "%d", &f.Index)
	return ref, f
}

func value(n *yaml.Node, key string) *yaml.Node {
	_, v := entry(n, key)
	return v
}

func entry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// field is the value of a scalar entry.
func field(n *yaml.Node, key string) string {
	if v := value(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// resultsText writes the results as kyaml's framework does (marshalled, parsed and written
// again under a results key by its ByteWriter). The encoder takes about a second on 10,000
// results, so a result with only the fields the function sets, each string one the encoder
// writes plain or single-quoted, is written here; any other goes through the framework's own
// steps (TestResultsTextAsFramework, FuzzResultsFields).
func resultsText(res framework.Results) ([]byte, error) {
	b := []byte("results:\n")
	for _, r := range res {
		var ok bool
		if b, ok = appendResult(b, r); ok {
			continue
		}
		y, err := kyaml.Marshal(framework.Results{r})
		if err != nil {
			return nil, err
		}
		node, err := kyaml.Parse(string(y))
		if err != nil {
			return nil, err
		}
		text, err := node.String()
		if err != nil {
			return nil, err
		}
		b = append(b, text...)
	}
	return b, nil
}

// appendResult writes r as an entry of the results list; ok false, and b as it was, when the
// encoder must decide its text.
func appendResult(b []byte, r *framework.Result) ([]byte, bool) {
	if r.Field != nil || len(r.Tags) > 0 {
		return b, false
	}
	start, ok := len(b), true
	b, ok = appendField(b, "  ", "message", r.Message, ok)
	b, ok = appendField(b, "  ", "severity", string(r.Severity), ok)
	if ref := r.ResourceRef; ref != nil {
		if *ref == (kyaml.ResourceIdentifier{}) {
			return b[:start], false // written as "resourceRef: {}"
		}
		b = append(b, "  resourceRef:\n"...)
		b, ok = appendField(b, "    ", "apiVersion", ref.APIVersion, ok)
		b, ok = appendField(b, "    ", "kind", ref.Kind, ok)
		b, ok = appendField(b, "    ", "name", ref.Name, ok)
		b, ok = appendField(b, "    ", "namespace", ref.Namespace, ok)
	}
	if f := r.File; f != nil {
		if *f == (framework.File{}) {
			return b[:start], false // written as "file: {}"
		}
		b = append(b, "  file:\n"...)
		b, ok = appendField(b, "    ", "path", f.Path, ok)
		if f.Index != 0 {
			b = strconv.AppendInt(append(b, "    index: "...), int64(f.Index), 10)
			b = append(b, '\n')
		}
	}
	if !ok || len(b) == start {
		return b[:start], false // an empty result is written as "- {}"
	}
	b[start] = '-' // the entry's dash, on its first field
	return b, true
}

// appendField writes "indent key: value" for a non-empty value (the fields are omitempty).
func appendField(b []byte, indent, key, value string, ok bool) ([]byte, bool) {
	if value == "" || !ok {
		return b, ok
	}
	b = append(append(append(b, indent...), key...), ": "...)
	b, ok = appendScalar(b, value)
	return append(b, '\n'), ok
}

// appendScalar writes s as go.yaml.in/yaml/v3 writes a string value in block context, for the
// strings where that is simple: printable ASCII starting with a letter, not a word the encoder
// double-quotes (true, null, YAML 1.1's yes/no/on/off/y/n in their three casings). Such a string
// is plain unless it has ": ", a final ":", " #" or a final space (the emitter's block
// indicators), and then single-quoted (allowed: no breaks, tabs or special characters); the
// line width is unlimited, so nothing folds.
func appendScalar(b []byte, s string) ([]byte, bool) {
	if c := s[0] | 0x20; c < 'a' || c > 'z' || doubleQuoted(s) {
		return b, false
	}
	plain := s[len(s)-1] != ' '
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ' || c > '~':
			return b, false
		case c == ':' && (i+1 == len(s) || s[i+1] == ' '), c == '#' && s[i-1] == ' ':
			plain = false
		}
	}
	if plain {
		return append(b, s...), true
	}
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return append(b, '\''), true
}

// doubleQuoted: the letter-led strings the encoder does not write plain (its resolve table and
// isOldBool).
func doubleQuoted(s string) bool {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL",
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return false
}
