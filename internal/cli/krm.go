package cli

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
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
	err := framework.Execute(framework.ResourceListProcessorFunc(processResourceList), rw)
	if err != nil {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
		return ExitError
	}
	return ExitOK
}

func processResourceList(rl *framework.ResourceList) error {
	cfg := config.Default()
	if rl.FunctionConfig != nil && rl.FunctionConfig.YNode().Kind != 0 && len(rl.FunctionConfig.Content()) > 0 {
		var err error
		if cfg, err = config.FromNode(rl.FunctionConfig.YNode()); err != nil {
			return report(rl, fmt.Errorf("functionConfig: line %w", err), nil)
		}
	}
	injector := &inject.Injector{Config: cfg}
	plans := make([]*inject.Plan, len(rl.Items))
	for i, item := range rl.Items {
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{item.YNode()}}
		p, err := injector.PlanTree(doc)
		if err != nil {
			return report(rl, withFile(err, itemFile(item)), item)
		}
		plans[i] = p
	}
	for i, p := range plans {
		p.Apply()
		for _, rep := range p.Reports {
			if rep.Action == inject.Unchanged {
				continue
			}
			msg := fmt.Sprintf("%s: %s", rep.Resource(), rep.Action)
			if rep.Reason != "" {
				msg += " (" + rep.Reason + ")"
			}
			rl.Results = append(rl.Results, &framework.Result{
				Message:     msg,
				Severity:    framework.Info,
				ResourceRef: resourceRef(rl.Items[i]),
				File:        fileRef(rl.Items[i]),
			})
		}
	}
	return nil
}

// report turns an error into an error-severity result; returning it makes the function exit
// non-zero, which is the only way a KRM function fails a Kustomize build.
func report(rl *framework.ResourceList, err error, item *kyaml.RNode) error {
	r := &framework.Result{Message: err.Error(), Severity: framework.Error}
	if item != nil {
		r.ResourceRef, r.File = resourceRef(item), fileRef(item)
	}
	rl.Results = append(rl.Results, r)
	return framework.Results{r}
}

func resourceRef(item *kyaml.RNode) *kyaml.ResourceIdentifier {
	return &kyaml.ResourceIdentifier{
		TypeMeta: kyaml.TypeMeta{APIVersion: item.GetApiVersion(), Kind: item.GetKind()},
		NameMeta: kyaml.NameMeta{Name: item.GetName(), Namespace: item.GetNamespace()},
	}
}

func itemFile(item *kyaml.RNode) string {
	p, _, _ := kioutil.GetFileAnnotations(item)
	return p
}

func fileRef(item *kyaml.RNode) *framework.File {
	p, idx, _ := kioutil.GetFileAnnotations(item)
	if p == "" {
		return nil
	}
	f := &framework.File{Path: p}
	fmt.Sscanf(idx, "%d", &f.Index)
	return f
}
