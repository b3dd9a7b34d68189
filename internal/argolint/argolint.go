// Package argolint runs Argo Workflows' own validation, the code behind `argo lint --offline`,
// over a manifest stream. WorkflowTemplates and ClusterWorkflowTemplates found in the same
// input resolve templateRefs, as argo lint does with the files it is given.
package argolint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Finding is one validation failure of one object.
type Finding struct {
	Kind, Namespace, Name string
	Err                   error
}

func (f Finding) Error() string {
	id := f.Name
	if f.Namespace != "" {
		id = f.Namespace + "/" + f.Name
	}
	return fmt.Sprintf("%s %s: %v", f.Kind, id, f.Err)
}

// Result lists what was validated and what failed.
type Result struct {
	Validated int
	Findings  []Finding
}

// Validate parses data strictly (unknown fields are errors, as with `argo lint --strict`) and
// validates every Argo object in it.
func Validate(ctx context.Context, data []byte) Result {
	var res Result
	objects, err := argoObjects(data)
	if err != nil {
		res.Findings = append(res.Findings, Finding{Kind: "(parse)", Err: err})
		return res
	}
	var parsed []common.ParseResult
	for _, o := range objects {
		parsed = append(parsed, common.ParseObjects(o, true)...)
	}
	var objs []any
	for _, pr := range parsed {
		if pr.Err != nil {
			res.Findings = append(res.Findings, Finding{Kind: "(parse)", Err: pr.Err})
			continue
		}
		objs = append(objs, pr.Object)
	}
	v := NewValidator(objs)
	for _, o := range objs {
		kind, err := v.Validate(ctx, o)
		if kind == "" {
			continue
		}
		res.Validated++
		if err != nil {
			m := o.(interface {
				GetNamespace() string
				GetName() string
			})
			res.Findings = append(res.Findings, Finding{Kind: kind, Namespace: m.GetNamespace(), Name: m.GetName(), Err: err})
		}
	}
	return res
}

// Validator validates Argo objects as `argo lint --offline` does, resolving templateRefs
// against the WorkflowTemplates and ClusterWorkflowTemplates it was given.
type Validator struct {
	templates namespacedTemplates
	cluster   clusterTemplates
}

// NewValidator indexes the templates among objs.
func NewValidator(objs []any) *Validator {
	v := &Validator{templates: namespacedTemplates{}, cluster: clusterTemplates{}}
	for _, o := range objs {
		switch t := o.(type) {
		case *wfv1.WorkflowTemplate:
			v.templates[key{t.Namespace, t.Name}] = t
		case *wfv1.ClusterWorkflowTemplate:
			v.cluster[t.Name] = t
		}
	}
	return v
}

// Validate runs Argo's validation of one object; kind is empty for objects it does not check.
func (v *Validator) Validate(ctx context.Context, obj any) (kind string, err error) {
	defer func() {
		// Argo's validator panics on some input (robfig/cron on "CRON_TZ=UTC" alone); report it.
		if p := recover(); p != nil {
			err = fmt.Errorf("Argo's validator crashed on this object (%v); Argo cannot accept it", p)
		}
	}()
	switch o := obj.(type) {
	case *wfv1.CronWorkflow:
		kind = "CronWorkflow" // set before validating: a panic keeps it
		return kind, validate.ValidateCronWorkflow(ctx, v.templates.in(o.Namespace), v.cluster, o, nil)
	case *wfv1.Workflow:
		kind = "Workflow"
		return kind, validate.ValidateWorkflow(v.templates.in(o.Namespace), v.cluster, o, nil, validate.ValidateOpts{Lint: true})
	case *wfv1.WorkflowTemplate:
		kind = "WorkflowTemplate"
		return kind, validate.ValidateWorkflowTemplate(v.templates.in(o.Namespace), v.cluster, o, nil, validate.ValidateOpts{Lint: true})
	case *wfv1.ClusterWorkflowTemplate:
		kind = "ClusterWorkflowTemplate"
		return kind, validate.ValidateClusterWorkflowTemplate(v.templates.in(""), v.cluster, o, nil, validate.ValidateOpts{Lint: true})
	}
	return "", nil
}

type key struct{ namespace, name string }

type namespacedTemplates map[key]*wfv1.WorkflowTemplate

func (t namespacedTemplates) in(namespace string) getter { return getter{t, namespace} }

type getter struct {
	t         namespacedTemplates
	namespace string
}

func (g getter) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if wt, ok := g.t[key{g.namespace, name}]; ok {
		return wt, nil
	}
	// Manifests often leave the namespace to kubectl or Kustomize: match by name alone then.
	for k, wt := range g.t {
		if k.name == name && (k.namespace == "" || g.namespace == "") {
			return wt, nil
		}
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "workflowtemplates"}, name)
}

type clusterTemplates map[string]*wfv1.ClusterWorkflowTemplate

func (c clusterTemplates) Get(name string) (*wfv1.ClusterWorkflowTemplate, error) {
	if t, ok := c[name]; ok {
		return t, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Group: "argoproj.io", Resource: "clusterworkflowtemplates"}, name)
}

// argoObjects returns each argoproj.io object of a YAML or JSON stream as JSON, with kind: List
// expanded, so Argo's parser sees only what it knows and nothing else fails strict decoding.
func argoObjects(data []byte) ([][]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out [][]byte
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		docs := []map[string]any{doc}
		if items, ok := doc["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(doc["kind"]), "List") {
			docs = docs[:0]
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					docs = append(docs, m)
				}
			}
		}
		for _, d := range docs {
			if !strings.HasPrefix(fmt.Sprint(d["apiVersion"]), "argoproj.io/") {
				continue
			}
			b, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
}
