package cli

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// resourceList returns the root of data's first document when it is a KRM ResourceList, and
// the line offset of that document in data.
func resourceList(data []byte) (*yaml.Node, int) {
	for _, c := range inject.Split(data) {
		var n yaml.Node
		if err := yaml.Unmarshal(c.Text, &n); err != nil {
			return nil, 0
		}
		if n.Kind == 0 {
			continue // comment-only document
		}
		var probe struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		if n.Decode(&probe) != nil || probe.Kind != "ResourceList" || probe.APIVersion != kio.ResourceListAPIVersion {
			return nil, 0
		}
		return n.Content[0], c.Line - 1
	}
	return nil, 0
}

// checkResourceList refuses a ResourceList whose items or functionConfig have the wrong shape,
// before kyaml reports it in its own terms.
func checkResourceList(root *yaml.Node, offset int) error {
	var items, fnConfig *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "items":
			items = root.Content[i+1]
		case "functionConfig":
			fnConfig = root.Content[i+1]
		}
	}
	if items != nil && items.Tag != "!!null" {
		if items.Kind != yaml.SequenceNode {
			return fmt.Errorf("ResourceList line %d: items must be a list of objects", items.Line+offset)
		}
		for i, it := range items.Content {
			if it.Kind != yaml.MappingNode {
				return fmt.Errorf("ResourceList line %d: items[%d] must be an object", it.Line+offset, i)
			}
		}
	}
	if fnConfig != nil && fnConfig.Tag != "!!null" && fnConfig.Kind != yaml.MappingNode {
		return fmt.Errorf("ResourceList line %d: functionConfig must be an object", fnConfig.Line+offset)
	}
	return nil
}

// runFunction runs as a KRM function: every item comes back, results say what changed, and an
// error exits non-zero with every item unchanged. cfg is --config's (nil: functionConfig's).
func runFunction(data []byte, root *yaml.Node, offset int, env Env, cfg *config.Config) int {
	if err := checkResourceList(root, offset); err != nil {
		return fail(env, err)
	}
	if err := krm.Execute(data, cfg, env.Stdout); err != nil {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
		return ExitError
	}
	return ExitOK
}
