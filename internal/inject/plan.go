// Package inject adds the monitoring metrics to Argo resources. It plans edits against a
// parsed YAML tree; the plan is applied either to the tree (KRM function mode, where kyaml
// serialises) or to the original text as minimal splices (stream and file modes, where users'
// bytes must survive untouched).
package inject

import (
	"fmt"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// Injector plans metric injection for one configuration. It holds no state of its own, so it is
// safe for concurrent use.
type Injector struct {
	Config *config.Config
}

// Action says what happened to one resource.
type Action string

const (
	Injected  Action = "injected"  // metrics added
	Updated   Action = "updated"   // our earlier metrics replaced after a config change
	Unchanged Action = "unchanged" // already carries exactly the metrics
	Skipped   Action = "skipped"   // not selected or opted out
)

// Report describes the outcome for one Argo resource.
type Report struct {
	Kind, Namespace, Name string
	Line                  int // line of the resource's kind key, relative to the document
	Action                Action
	Reason                string // why it was skipped
	Warn                  bool   // the skip is likely a mistake in the input: report it even without -v
}

// Resource names a resource the way error messages do: "CronWorkflow ns/name".
func (r Report) Resource() string { return ResourceName(r.Kind, r.Namespace, r.Name) }

// ResourceName names a resource the way every message does: "Kind ns/name", "(unnamed)" when
// it has no name.
func ResourceName(kind, ns, name string) string {
	if name == "" {
		name = "(unnamed)"
	}
	if ns == "" {
		return kind + " " + name
	}
	return kind + " " + ns + "/" + name
}

// Error is an input problem at a known place. File is filled in by callers that know it.
type Error struct {
	File     string
	Line     int
	Resource string
	Msg      string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Resource != "" {
		b.WriteString(e.Resource)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

type op int

const (
	opAddKey    op = iota // append Key: Value to the mapping at the end of path
	opSetValue            // replace the value of Key in the mapping at the end of path
	opSpliceSeq           // remove items Remove from the sequence at the end of path, insert Items at At
)

// edit is one change, expressed against the original tree. path runs from the document's
// root node to the container being changed, so text mode can find where that container ends.
type edit struct {
	op     op
	path   []*yaml.Node
	key    string
	value  *yaml.Node
	remove []int
	at     int // opSpliceSeq: where items go; opAddKey: where the entry goes when placed
	placed bool
	items  []*yaml.Node
}

// resource is an Argo object found in a document (at its root or inside a kind: List).
type resource struct {
	path           []*yaml.Node // root .. the resource mapping
	kind, ns, name string
	line           int
	labels, annots map[string]string
	metadataNode   *yaml.Node
	metadataAlias  *yaml.Node          // metadata's alias node when it is one: readable, not editable
	aliased        map[*yaml.Node]bool // the document's nodes that an alias names
}

// plan computes the edits that bring every treated resource in doc to the desired state.
// doc is a DocumentNode. Errors carry lines relative to the document.
func (in *Injector) plan(doc *yaml.Node) ([]edit, []Report, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil, nil
	}
	root := doc.Content[0]
	var resources []*resource
	var reports []Report
	if err := in.findResources([]*yaml.Node{root}, &resources, 0); err != nil {
		return nil, nil, err
	}
	aliased := aliasTargets(doc)
	for _, r := range resources {
		r.aliased = aliased
	}
	reports = append(reports, kindless(root)...)
	var edits []edit
	for _, r := range resources {
		es, rep, err := in.planResource(r)
		if err != nil {
			return nil, nil, err
		}
		edits = append(edits, es...)
		reports = append(reports, rep)
	}
	return edits, reports, nil
}

const argoGroup = "argoproj.io/"

// kindless reports objects that look like Argo workflows but have no kind: nothing reads them
// as Argo objects, so they would pass without metrics, silently.
func kindless(root *yaml.Node) []Report {
	objects := []*yaml.Node{root}
	if items := lookup(root, "items"); items != nil && items.Kind == yaml.SequenceNode && strings.HasSuffix(scalarValue(root, "kind"), "List") {
		objects = items.Content
	}
	var out []Report
	for _, o := range objects {
		o = deref(o)
		if o.Kind != yaml.MappingNode || scalarValue(o, "kind") != "" {
			continue
		}
		spec := lookup(o, "spec")
		if !strings.HasPrefix(scalarValue(o, "apiVersion"), argoGroup) && lookup(spec, "workflowSpec") == nil && lookup(spec, "templates") == nil {
			continue
		}
		md := lookup(o, "metadata")
		out = append(out, Report{Kind: "(no kind)", Namespace: scalarValue(md, "namespace"), Name: scalarValue(md, "name"), Line: o.Line,
			Action: Skipped, Warn: true, Reason: "an Argo object without kind: it is not read as one and gets no metrics; add kind: CronWorkflow (or its kind)"})
	}
	return out
}

func (in *Injector) findResources(path []*yaml.Node, out *[]*resource, depth int) error {
	n := path[len(path)-1]
	if n.Kind != yaml.MappingNode {
		return nil
	}
	apiVersion, kind := scalarValue(n, "apiVersion"), scalarValue(n, "kind")
	if kind == "List" || (strings.HasSuffix(kind, "List") && apiVersion == "v1") {
		items := lookup(n, "items")
		if items == nil || items.Kind != yaml.SequenceNode || depth > 0 {
			return nil
		}
		for _, item := range items.Content {
			if err := in.findResources(append(clip(path), items, item), out, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if !strings.HasPrefix(apiVersion, argoGroup) || !in.Config.Treats(kind) {
		return nil
	}
	r := &resource{path: clip(path), kind: kind, line: keyLine(n, "kind")}
	bad := func(node *yaml.Node, format string, args ...any) error {
		return &Error{Line: node.Line, Resource: ResourceName(r.kind, r.ns, r.name), Msg: fmt.Sprintf(format, args...)}
	}
	md := lookup(n, "metadata")
	if md == nil || md.Kind != yaml.MappingNode {
		return bad(n, "metadata must be a mapping with a name")
	}
	if raw := rawLookup(n, "metadata"); raw.Kind == yaml.AliasNode {
		r.metadataAlias = raw
	}
	r.metadataNode = md
	r.ns = scalarValue(md, "namespace")
	r.name = scalarValue(md, "name")
	if r.name == "" && kind == config.KindWorkflow {
		// A submitted Workflow gets a new name per run; its generateName is the stable identity.
		r.name = strings.TrimRight(scalarValue(md, "generateName"), "-.")
	}
	if v := lookup(md, "name"); v != nil && v.Kind != yaml.ScalarNode {
		return bad(v, "metadata.name must be a string, got %s; an unrendered template such as {{ .Release.Name }} reads as one: render it first (helm template)", kindName(v))
	}
	if r.name == "" {
		if g := scalarValue(md, "generateName"); g != "" {
			return bad(md, "metadata.name is missing and metadata.generateName %q gives the %s a new name each time it is created; its metrics need a stable name: set metadata.name", g, kind)
		}
		return bad(md, "metadata.name is missing or empty")
	}
	var err error
	if r.labels, err = stringMap(md, "labels"); err != nil {
		return bad(md, "%v", err)
	}
	if r.annots, err = stringMap(md, "annotations"); err != nil {
		return bad(md, "%v", err)
	}
	*out = append(*out, r)
	return nil
}

func (in *Injector) planResource(r *resource) ([]edit, Report, error) {
	rep := Report{Kind: r.kind, Namespace: r.ns, Name: r.name, Line: r.line}
	id := rep.Resource()
	bad := func(node *yaml.Node, format string, args ...any) error {
		return &Error{Line: node.Line, Resource: id, Msg: fmt.Sprintf(format, args...)}
	}
	root := r.path[len(r.path)-1]
	if v, ok := r.annots[config.AnnotationInject]; ok && v == "false" {
		rep.Action, rep.Reason = Skipped, "annotation "+config.AnnotationInject+": \"false\""
		return nil, rep, nil
	} else if ok && v != "true" {
		return nil, rep, bad(r.metadataNode, "annotation %s must be \"true\" or \"false\", got %q", config.AnnotationInject, v)
	}
	if !in.Config.Selects(r.ns, r.labels) {
		rep.Action, rep.Reason = Skipped, "not selected by spec.selector"
		return nil, rep, nil
	}
	static, err := in.jobLabels(r)
	if err != nil {
		return nil, rep, err
	}

	// Locate the workflow spec: spec.workflowSpec for CronWorkflows, spec otherwise.
	specPath := append(clip(r.path), nil)
	spec, err := child(root, "spec", "spec")
	if err != nil {
		return nil, rep, bad(root, "%v", err)
	}
	specPath[len(specPath)-1] = spec
	settings, err := in.Config.Settings(r.annots)
	if err != nil {
		return nil, rep, bad(r.metadataNode, "%v", err)
	}
	job := recipe.Job{Name: r.name, Static: static, Settings: settings}
	m := in.Config.Spec.Metrics
	if r.kind == config.KindCronWorkflow && (*m.StalenessThreshold.Enabled || *m.RunTimeLimit.Enabled) {
		_, res, err := in.analyze(r, spec)
		if err != nil {
			return nil, rep, bad(spec, "%v", err)
		}
		if *m.StalenessThreshold.Enabled {
			job.StalenessThresholdSeconds = int64(res.Threshold / time.Second)
		}
		if *m.RunTimeLimit.Enabled {
			if job.RunTimeLimitSeconds, err = runTimeLimit(res, settings); err != nil {
				return nil, rep, bad(r.metadataNode, "%v", err)
			}
		}
	}
	desired := recipe.BuildJob(in.Config, job)
	names := recipe.Names(desired)
	wfPath, wfField := specPath, "spec"
	if r.kind == config.KindCronWorkflow {
		wf, err := child(spec, "workflowSpec", "spec.workflowSpec")
		if err != nil {
			return nil, rep, bad(spec, "%v", err)
		}
		wfPath, wfField = append(clip(specPath), wf), "spec.workflowSpec"
	}
	wf := wfPath[len(wfPath)-1]
	if err := r.editable(wf, wfField); err != nil {
		return nil, rep, bad(wf, "%v", err)
	}

	var edits []edit
	metricsIdx := keyIndex(wf, "metrics")
	switch {
	case metricsIdx < 0:
		edits = append(edits, edit{op: opAddKey, path: wfPath, key: "metrics", value: promMapping(desired)})
	case isNull(wf.Content[metricsIdx+1]):
		if err := r.editable(wf.Content[metricsIdx+1], wfField+".metrics"); err != nil {
			return nil, rep, bad(wf.Content[metricsIdx+1], "%v", err)
		}
		edits = append(edits, edit{op: opSetValue, path: wfPath, key: "metrics", value: promMapping(desired)})
	default:
		metrics := wf.Content[metricsIdx+1]
		if metrics.Kind != yaml.MappingNode {
			return nil, rep, bad(metrics, "%s.metrics must be a mapping with a prometheus list, got %s", wfField, kindName(metrics))
		}
		if err := r.editable(metrics, wfField+".metrics"); err != nil {
			return nil, rep, bad(metrics, "%v", err)
		}
		mPath := append(clip(wfPath), metrics)
		promIdx := keyIndex(metrics, "prometheus")
		switch {
		case promIdx < 0:
			edits = append(edits, edit{op: opAddKey, path: mPath, key: "prometheus", value: seqNode(desired)})
		case isNull(metrics.Content[promIdx+1]):
			if err := r.editable(metrics.Content[promIdx+1], wfField+".metrics.prometheus"); err != nil {
				return nil, rep, bad(metrics.Content[promIdx+1], "%v", err)
			}
			edits = append(edits, edit{op: opSetValue, path: mPath, key: "prometheus", value: seqNode(desired)})
		default:
			prom := metrics.Content[promIdx+1]
			if prom.Kind != yaml.SequenceNode {
				return nil, rep, bad(prom, "%s.metrics.prometheus must be a list, got %s", wfField, kindName(prom))
			}
			if err := r.editable(prom, wfField+".metrics.prometheus"); err != nil {
				return nil, rep, bad(prom, "%v", err)
			}
			e, changed, err := in.planSequence(prom, append(clip(mPath), prom), desired, names, r, wfField)
			if err != nil {
				return nil, rep, &Error{Line: lineOf(err, prom), Resource: id, Msg: err.Error()}
			}
			if !changed {
				rep.Action = Unchanged
				return nil, rep, nil
			}
			if len(e.remove) > 0 {
				rep.Action = Updated
			}
			edits = append(edits, e)
		}
	}
	if rep.Action == "" {
		rep.Action = Injected
	}
	ae, err := annotationEdit(r, strings.Join(names, ","))
	if err != nil {
		at := r.metadataNode
		if r.metadataAlias != nil {
			at = r.metadataAlias
		}
		return nil, rep, bad(at, "%v", err)
	}
	if ae != nil {
		edits = append(edits, *ae)
	}
	return edits, rep, nil
}

// jobLabels resolves a resource's declared labels (config.JobLabels); an error points at the
// resource label it copies, or at metadata. A copied label must be a string, as the API server
// requires: a YAML number or boolean there is refused rather than quietly turned into text.
func (in *Injector) jobLabels(r *resource) (map[string]string, error) {
	id := ResourceName(r.kind, r.ns, r.name)
	labels := lookup(r.metadataNode, "labels")
	for _, k := range sortedLabelKeys(in.Config.Spec.Labels.FromResource) {
		from := in.Config.Spec.Labels.FromResource[k].Label
		if v := lookup(labels, from); v != nil && v.Kind == yaml.ScalarNode && v.Tag != "!!str" && !isNull(v) {
			return nil, &Error{Line: v.Line, Resource: id, Msg: fmt.Sprintf("metadata.labels.%s: %s is not a string; Kubernetes refuses it as a label value, and it would become the metric label %s: quote it", from, kindName(v), k)}
		}
	}
	static, err := in.Config.JobLabels(r.labels, r.annots[config.AnnotationLabels])
	if err != nil {
		at := r.metadataNode
		if le, ok := err.(*config.ResourceLabelError); ok {
			if v := lookup(labels, le.Label); v != nil {
				at = v
			}
		}
		return nil, &Error{Line: at.Line, Resource: id, Msg: err.Error()}
	}
	return static, nil
}

func sortedLabelKeys(m map[string]config.ResourceLabel) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lineError carries the line of the offending node out of planSequence.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

func lineOf(err error, fallback *yaml.Node) int {
	if le, ok := err.(*lineError); ok {
		return le.line
	}
	return fallback.Line
}

// planSequence decides what to do with an existing prometheus list. Entries are ours when their
// name is one we would write or one the managed annotation says we wrote earlier.
func (in *Injector) planSequence(prom *yaml.Node, path []*yaml.Node, desired []recipe.Metric, names []string, r *resource, field string) (edit, bool, error) {
	managed := map[string]bool{}
	for _, n := range strings.Split(r.annots[config.AnnotationManaged], ",") {
		if n = strings.TrimSpace(n); n != "" {
			managed[n] = true
		}
	}
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	var ours, conflicts []int
	for i, item := range prom.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			return edit{}, false, &lineError{item.Line, fmt.Sprintf("%s.metrics.prometheus[%d] must be a mapping, got %s", field, i, kindName(item))}
		}
		name := scalarValue(item, "name")
		if name == "" {
			return edit{}, false, &lineError{item.Line, fmt.Sprintf("%s.metrics.prometheus[%d] has no name", field, i)}
		}
		if wanted[name] || managed[name] {
			ours = append(ours, i)
			if !managed[name] {
				conflicts = append(conflicts, i)
			}
		}
	}
	desiredNodes := recipe.Nodes(desired)
	if len(ours) == len(desiredNodes) {
		same := true
		for k, i := range ours {
			same = same && equivalent(deref(prom.Content[i]), desiredNodes[k])
		}
		if same {
			return edit{}, false, nil
		}
	}
	if len(conflicts) > 0 && !in.Config.Spec.TakeOver {
		item := deref(prom.Content[conflicts[0]])
		return edit{}, false, &lineError{item.Line, fmt.Sprintf(
			"metric %q is already defined with a different definition than argo-metrics-gen's; rename or remove it, or set spec.takeOver: true (--take-over) to replace it",
			scalarValue(item, "name"))}
	}
	at := len(prom.Content)
	if len(ours) > 0 {
		at = ours[0]
	}
	return edit{op: opSpliceSeq, path: path, remove: ours, at: at, items: desiredNodes}, true, nil
}

// annotationEdit records the managed metric names on the resource.
func annotationEdit(r *resource, value string) (*edit, error) {
	if v, ok := r.annots[config.AnnotationManaged]; ok && v == value {
		return nil, nil
	}
	md := r.metadataNode
	mdPath := append(clip(r.path), md)
	if r.metadataAlias != nil {
		return nil, fmt.Errorf("metadata is an alias (*%s); recording the managed metrics in its annotations would change every alias of it: expand it", r.metadataAlias.Value)
	}
	if err := r.editable(md, "metadata"); err != nil {
		return nil, err
	}
	idx := keyIndex(md, "annotations")
	val := recipe.Scalar(value)
	switch {
	case idx < 0:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{recipe.Scalar(config.AnnotationManaged), val}}
		return &edit{op: opAddKey, path: mdPath, key: "annotations", value: m}, nil
	case isNull(md.Content[idx+1]):
		if err := r.editable(md.Content[idx+1], "metadata.annotations"); err != nil {
			return nil, err
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{recipe.Scalar(config.AnnotationManaged), val}}
		return &edit{op: opSetValue, path: mdPath, key: "annotations", value: m}, nil
	}
	ann := md.Content[idx+1]
	if err := r.editable(ann, "metadata.annotations"); err != nil {
		return nil, err
	}
	annPath := append(clip(mdPath), ann)
	if keyIndex(ann, config.AnnotationManaged) < 0 {
		return &edit{op: opAddKey, path: annPath, key: config.AnnotationManaged, value: val}, nil
	}
	return &edit{op: opSetValue, path: annPath, key: config.AnnotationManaged, value: val}, nil
}

func promMapping(desired []recipe.Metric) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{recipe.Scalar("prometheus"), seqNode(desired)}}
}

func seqNode(desired []recipe.Metric) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: recipe.Nodes(desired)}
}

// clip returns a copy of a path so appends never share a backing array.
func clip(p []*yaml.Node) []*yaml.Node { return append([]*yaml.Node(nil), p...) }

// child returns the mapping under key, with an error naming field when it is missing or not a
// mapping.
func child(n *yaml.Node, key, field string) (*yaml.Node, error) {
	v := rawLookup(n, key)
	if v == nil || isNull(v) {
		return nil, fmt.Errorf("%s is missing", field)
	}
	if v.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("%s is an alias (*%s); adding the metrics would edit what it points to and so every alias of it: expand it so each resource gets its own metrics", field, v.Value)
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s must be a mapping, got %s", field, kindName(v))
	}
	return v, nil
}

// aliasTargets returns the nodes of doc that an alias names.
func aliasTargets(doc *yaml.Node) map[*yaml.Node]bool {
	out := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			out[n.Alias] = true
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// editable refuses nodes whose edit would leak elsewhere (an alias, or an anchor an alias names:
// an anchor nothing names is just a name) or that hide keys behind a merge key.
func (r *resource) editable(n *yaml.Node, field string) error {
	if n.Kind == yaml.AliasNode {
		return fmt.Errorf("%s is an alias (*%s); adding the metrics would edit what it points to and so every alias of it: expand it so each resource gets its own metrics", field, n.Value)
	}
	if n.Anchor != "" && r.aliased[n] {
		return fmt.Errorf("%s carries the anchor &%s, which an alias uses; editing it would change every alias of it, expand the alias instead", field, n.Anchor)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Tag == "!!merge" {
				return fmt.Errorf("%s uses a merge key (<<) at line %d; inline the merged keys", field, n.Content[i].Line)
			}
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("the %s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

// lookup returns the value of key in a mapping, or nil, with an alias resolved: for reading.
func lookup(n *yaml.Node, key string) *yaml.Node { return deref(rawLookup(n, key)) }

// rawLookup is lookup without resolving aliases: for nodes an edit may have to change.
func rawLookup(n *yaml.Node, key string) *yaml.Node {
	if i := keyIndex(deref(n), key); i >= 0 {
		return deref(n).Content[i+1]
	}
	return nil
}

// deref resolves an alias (and an alias of an alias) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func keyIndex(n *yaml.Node, key string) int {
	if n == nil || n.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return i
		}
	}
	return -1
}

func keyLine(n *yaml.Node, key string) int {
	if i := keyIndex(n, key); i >= 0 {
		return n.Content[i].Line
	}
	return n.Line
}

func scalarValue(n *yaml.Node, key string) string {
	if v := lookup(n, key); v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
		return v.Value
	}
	return ""
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func stringMap(md *yaml.Node, key string) (map[string]string, error) {
	v := lookup(md, key)
	if v == nil || isNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("metadata.%s must be a mapping, got %s", key, kindName(v))
	}
	out := make(map[string]string, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], deref(v.Content[i+1])
		if val.Kind != yaml.ScalarNode || isNull(val) {
			return nil, fmt.Errorf("metadata.%s.%s must be a string, got %s", key, k.Value, kindName(val))
		}
		out[k.Value] = val.Value
	}
	return out, nil
}
