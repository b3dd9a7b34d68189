// Package manifest finds the Argo resources of a manifest stream, with their file and line, for
// the read-only commands (lint, preview). Parsing and its errors are the injector's.
package manifest

import (
	"encoding/json"
	"fmt"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
)

// Kinds are the Argo kinds that carry workflow specs.
var Kinds = map[string]bool{"CronWorkflow": true, "Workflow": true, "WorkflowTemplate": true, "ClusterWorkflowTemplate": true}

// Resource is one Argo object of the input.
type Resource struct {
	File                  string
	Line                  int // line of the object's first key
	Kind, Namespace, Name string
	Node                  *yaml.Node // the object's mapping node; node lines are relative to Offset
	Offset                int        // add to a node's line for the file line
	Doc                   *yaml.Node // the document the object came from
}

// ID names the resource as messages do: "CronWorkflow ns/name".
func (r *Resource) ID() string { return inject.ResourceName(r.Kind, r.Namespace, r.Name) }

// LineOf returns the file line of a node of this resource.
func (r *Resource) LineOf(n *yaml.Node) int { return n.Line + r.Offset }

// Read returns the Argo resources of one file's stream, expanding kind: List.
func Read(file string, data []byte) ([]*Resource, error) {
	var out []*Resource
	for _, c := range inject.Split(data) {
		doc, err := inject.ParseDocument(c.Text)
		if err != nil {
			if e, ok := err.(*inject.Error); ok {
				ce := *e
				if ce.Line > 0 {
					ce.Line += c.Line - 1
				}
				ce.File = file
				return nil, &ce
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if doc == nil || len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		objects := []*yaml.Node{root}
		if k := value(root, "kind"); strings.HasSuffix(k, "List") {
			if items := lookup(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
				objects = items.Content
			}
		}
		for _, o := range objects {
			if o.Kind != yaml.MappingNode || !strings.HasPrefix(value(o, "apiVersion"), "argoproj.io/") || !Kinds[value(o, "kind")] {
				continue
			}
			md := lookup(o, "metadata")
			name := value(md, "name")
			if name == "" {
				name = value(md, "generateName")
			}
			out = append(out, &Resource{File: file, Line: o.Line + c.Line - 1, Kind: value(o, "kind"),
				Namespace: value(md, "namespace"), Name: name, Node: o, Offset: c.Line - 1, Doc: doc})
		}
	}
	return out, nil
}

// Typed decodes the resource into Argo's Go type, strictly (unknown fields are errors), as
// `argo lint` does.
func (r *Resource) Typed() (any, error) {
	var v any
	if err := r.Node.Decode(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return nil, err
	}
	res := common.ParseObjects(b, true)
	if len(res) == 0 || res[0].Object == nil {
		if len(res) > 0 && res[0].Err != nil {
			return nil, res[0].Err
		}
		return nil, fmt.Errorf("not an Argo object")
	}
	switch o := res[0].Object.(type) {
	case *wfv1.CronWorkflow, *wfv1.Workflow, *wfv1.WorkflowTemplate, *wfv1.ClusterWorkflowTemplate:
		return o, res[0].Err
	}
	return nil, fmt.Errorf("unexpected object %T", res[0].Object)
}

// jsonable turns YAML-decoded maps with non-string keys into JSON-encodable ones.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonable(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonable(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = jsonable(x)
		}
	}
	return v
}

// lookup returns the value of key with aliases resolved: an alias of a mapping is a mapping.
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return Deref(n.Content[i+1])
		}
	}
	return nil
}

// Deref resolves an alias to the node it names; other nodes are returned as they are.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func value(n *yaml.Node, key string) string {
	if v := lookup(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// Lookup returns the node at a path of mapping keys, or nil.
func Lookup(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		n = lookup(n, k)
	}
	return n
}
