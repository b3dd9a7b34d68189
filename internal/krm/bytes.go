package krm

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// Bytes is the function on a ResourceList's text, as pipe mode treats a kind: List: each item is
// cut out of the text, injected and verified as a document of its own (in parallel), and its
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
func Bytes(data []byte) (pieces [][]byte, ok bool) {
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
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion", "kind", "items", "functionConfig":
		default:
			return nil, false // what the framework reads beyond these (metadata: 0 fails it) is its to judge
		}
	}
	cfg := config.Default()
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

	// Blank each item's dash so it reads as a document; put the dashes back on the way out, so
	// data is unchanged for the fallback.
	for _, p := range l.items {
		data[p[0]+l.dash] = ' '
	}
	defer func() {
		for _, p := range l.items {
			data[p[0]+l.dash] = '-'
		}
	}()
	outs, infos, ok := injectItems(&inject.Injector{Config: cfg}, data, l)
	if !ok {
		return nil, false
	}

	pieces = make([][]byte, 0, len(outs)+3)
	pieces = append(pieces, l.head)
	var res framework.Results
	counts := map[inject.Action]int{}
	for i, out := range outs {
		if len(out) < l.dash+2 || !bytes.Equal(out[:l.dash+2], bytes.Repeat([]byte(" "), l.dash+2)) {
			return nil, false
		}
		if &out[0] != &data[l.items[i][0]] {
			out[l.dash] = '-' // a new text; the input's own dash comes back in the deferred loop
		}
		pieces = append(pieces, out)
		res = appendReports(res, counts, infos[i].reports, infos[i].ref, infos[i].file)
	}
	last := l.tail
	if len(last) == 0 {
		last = pieces[len(pieces)-1]
	}
	pieces = append(pieces, l.tail)
	if len(last) > 0 && last[len(last)-1] != '\n' {
		pieces = append(pieces, []byte("\n"))
	}
	res = append(res, summary(counts))
	text, err := resultsText(res)
	if err != nil {
		return nil, false
	}
	return append(pieces, text), true
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
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || bytes.IndexByte(data, '\r') >= 0 {
		return l, false
	}
	off, line, headEnd := 0, 1, -1
	sawKind := false
	for off < len(data) && headEnd < 0 {
		next := lineEnd(data, off)
		text := data[off:next]
		switch {
		case isMarker(text):
			return l, false
		case bytes.HasPrefix(text, []byte("kind: ResourceList")):
			sawKind = true
		case isItemsKey(text):
			headEnd, l.itemsLine = next, line
		}
		off, line = next, line+1
	}
	if headEnd < 0 || !sawKind {
		return l, false
	}
	l.dash = -1
	start := -1 // of the current item
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
			if start >= 0 {
				l.items = append(l.items, [2]int{start, off})
			} else {
				headEnd = off
			}
			start = off
		}
	}
	if start >= 0 {
		l.items = append(l.items, [2]int{start, tail})
	} else {
		headEnd = tail
	}
	l.head, l.tail = data[:headEnd], data[tail:]
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
	return len(trimmed) == 0 || (trimmed[0] == '#' && len(trimmed) < len(rest))
}

type itemInfo struct {
	reports []inject.Report
	ref     *kyaml.ResourceIdentifier
	file    *framework.File
}

// injectItems injects into every item in parallel. Planning every item before any output is
// used keeps a failing run from changing anything: one failure and nothing is returned.
func injectItems(in *inject.Injector, data []byte, l layout) ([][]byte, []itemInfo, bool) {
	outs := make([][]byte, len(l.items))
	infos := make([]itemInfo, len(l.items))
	failed := make([]bool, len(l.items))
	workers := min(runtime.GOMAXPROCS(0), len(l.items))
	next := make(chan int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				src := data[l.items[i][0]:l.items[i][1]]
				mapping := false
				out, reps, err := in.DocumentInspect(src, func(root *yaml.Node) {
					mapping = root.Kind == yaml.MappingNode
					infos[i].ref, infos[i].file = identity(root)
				})
				if err != nil || !mapping || len(out) == 0 {
					failed[i] = true
					continue
				}
				outs[i], infos[i].reports = out, reps
			}
		}()
	}
	for i := range l.items {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, f := range failed {
		if f {
			return nil, nil, false
		}
	}
	return outs, infos, true
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
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func field(n *yaml.Node, key string) string {
	if v := value(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// resultsText writes the results as kyaml's framework does (marshalled, parsed, set under a
// results key and written again by its ByteWriter), in one marshal: the same encoder writes the
// same text (TestResultsTextAsFramework, FuzzResultsText).
func resultsText(res framework.Results) ([]byte, error) {
	return kyaml.Marshal(struct {
		Results framework.Results `yaml:"results"`
	}{res})
}
