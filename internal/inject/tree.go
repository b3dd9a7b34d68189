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
			at := len(target.Content)
			if e.placed {
				at = e.at
			}
			target.Content = append(target.Content[:at:at], append([]*yaml.Node{recipe.Scalar(e.key), e.value}, target.Content[at:]...)...)
		case opSetValue:
			target.Content[keyIndex(target, e.key)+1] = e.value
		case opSpliceSeq:
			target.Content = spliceItems(target.Content, e)
		}
	}
}

// equalNodes compares two trees by meaning as YAML sees it: kinds, resolved tags, values,
// anchors and order. Styles, comments and positions are ignored; aliases compare by anchor name.
func equalNodes(got, want *yaml.Node) bool {
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
		if !equalNodes(got.Content[i], want.Content[i]) {
			return false
		}
	}
	return true
}

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
