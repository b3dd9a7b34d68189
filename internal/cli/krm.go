package cli

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

// isResourceList reports whether the first document of data is a KRM ResourceList.
func isResourceList(data []byte) bool {
	for _, c := range inject.Split(data) {
		var probe struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		var n yaml.Node
		if err := yaml.Unmarshal(c.Text, &n); err != nil || n.Kind == 0 {
			if err != nil {
				return false
			}
			continue // comment-only document
		}
		if n.Decode(&probe) != nil {
			return false
		}
		return probe.Kind == "ResourceList" && probe.APIVersion == kio.ResourceListAPIVersion
	}
	return false
}

// checkResourceList refuses a ResourceList whose items or functionConfig have the wrong shape,
// before kyaml reports it in its own terms.
func checkResourceList(data []byte) error {
	var rl struct {
		Items          yaml.Node `yaml:"items"`
		FunctionConfig yaml.Node `yaml:"functionConfig"`
	}
	if err := yaml.Unmarshal(data, &rl); err != nil {
		return fmt.Errorf("ResourceList: %v", err)
	}
	if rl.Items.Kind != 0 && rl.Items.Tag != "!!null" {
		if rl.Items.Kind != yaml.SequenceNode {
			return fmt.Errorf("ResourceList line %d: items must be a list of objects", rl.Items.Line)
		}
		for i, it := range rl.Items.Content {
			if it.Kind != yaml.MappingNode {
				return fmt.Errorf("ResourceList line %d: items[%d] must be an object", it.Line, i)
			}
		}
	}
	if rl.FunctionConfig.Kind != 0 && rl.FunctionConfig.Tag != "!!null" && rl.FunctionConfig.Kind != yaml.MappingNode {
		return fmt.Errorf("ResourceList line %d: functionConfig must be an object", rl.FunctionConfig.Line)
	}
	return nil
}

// runFunction runs as a KRM function: every item comes back, results say what changed, and an
// error exits non-zero with every item unchanged.
func runFunction(data []byte, env Env) int {
	if err := checkResourceList(data); err != nil {
		return fail(env, err)
	}
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: env.Stdout, KeepReaderAnnotations: true}
	err := framework.Execute(krm.Processor(), rw)
	if err != nil {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
		return ExitError
	}
	return ExitOK
}
