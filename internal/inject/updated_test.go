package inject_test

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// userLines is the input without the lines argo-metrics-gen owns, for a run that Updated: the
// metrics.prometheus entries named in a managed-metrics annotation of the input or the output
// (our earlier metrics; under take-over, the ones replaced) and that annotation. An update may
// rewrite those; every other line must come out unchanged, in order.
func userLines(t *testing.T, input, output []byte) []byte {
	t.Helper()
	ours := map[string]bool{}
	managedNames := func(root *yaml.Node) {
		if v := lookupPath(root, "metadata", "annotations", config.AnnotationManaged); v != nil {
			for _, n := range strings.Split(v.Value, ",") {
				ours[strings.TrimSpace(n)] = true
			}
		}
	}
	parse := func(c inject.Chunk) *yaml.Node {
		var doc yaml.Node
		if err := yaml.Unmarshal(c.Text, &doc); err != nil || len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	for _, c := range inject.Split(output) {
		if root := parse(c); root != nil {
			managedNames(root)
		}
	}
	drop := map[int]bool{}
	for _, c := range inject.Split(input) {
		root := parse(c)
		if root == nil {
			continue
		}
		managedNames(root)
		off := c.Line - 1
		if ann := lookupPath(root, "metadata", "annotations"); ann != nil {
			for i := 0; i+1 < len(ann.Content); i += 2 {
				if ann.Content[i].Value == config.AnnotationManaged {
					drop[off+ann.Content[i].Line], drop[off+ann.Content[i+1].Line] = true, true
				}
			}
		}
		for _, path := range [][]string{{"spec", "metrics", "prometheus"}, {"spec", "workflowSpec", "metrics", "prometheus"}} {
			seq := lookupPath(root, path...)
			if seq == nil {
				continue
			}
			for _, item := range seq.Content {
				if name := lookupPath(item, "name"); name != nil && ours[name.Value] {
					for l := item.Line; l <= lastLine(item); l++ {
						drop[off+l] = true
					}
				}
			}
		}
	}
	var b strings.Builder
	for i, line := range strings.SplitAfter(string(input), "\n") {
		if !drop[i+1] {
			b.WriteString(line)
		}
	}
	return []byte(b.String())
}

func lookupPath(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		if l := lastLine(c); l > last {
			last = l
		}
	}
	return last
}
