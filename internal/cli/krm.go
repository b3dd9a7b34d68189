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

// runFunction runs as a KRM function: every item comes back, results say what changed, and an
// error exits non-zero with every item unchanged.
func runFunction(data []byte, env Env) int {
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: env.Stdout, KeepReaderAnnotations: true}
	err := framework.Execute(krm.Processor(), rw)
	if err != nil {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
		return ExitError
	}
	return ExitOK
}
