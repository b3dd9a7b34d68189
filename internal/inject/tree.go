package inject

import (
	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// applyTree performs edits on the tree in place. Edits never overlap: each targets a distinct
// container of one resource.
func applyTree(edits []edit) {
	for _, e := range edits {
		target := e.path[len(e.path)-1]
		switch e.op {
		case opAddKey:
			target.Content = append(target.Content, recipe.Scalar(e.key), e.value)
		case opSetValue:
			target.Content[keyIndex(target, e.key)+1] = e.value
		case opSpliceSeq:
			target.Content = spliceItems(target.Content, e)
		}
	}
}

// equalNodes compares two trees by meaning as YAML sees it: kinds, resolved tags, values and
// order. Styles, comments and positions are ignored; aliases compare by anchor name.
func equalNodes(a, b *yaml.Node) bool { return equalProbe(a, b, nil) }

// equivalent compares by meaning alone: like equalNodes, but mapping keys in any order. It
// decides whether a resource already carries our metrics, which Kustomize hands back with
// keys sorted.
func equivalent(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		return a.ShortTag() == b.ShortTag() && a.Value == b.Value
	case yaml.AliasNode:
		return a.Value == b.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(a.Content); i += 2 {
			j := keyIndex(b, a.Content[i].Value)
			if j < 0 || !equivalent(a.Content[i+1], b.Content[j+1]) {
				return false
			}
		}
		return true
	}
	for i := range a.Content {
		if !equivalent(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
