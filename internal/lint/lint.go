// Package lint checks Argo resources for what `argo lint` misses about custom metrics, plus
// Argo's own validation and the coverage of argo-metrics-gen's metrics. Every finding names the
// file, the line of the offending node and the resource.
package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/argoproj/argo-workflows/v3/util/strftime"
	"github.com/argoproj/argo-workflows/v3/util/template"
	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argolint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// Severity of a finding: errors fail lint, warnings only with --strict.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem.
type Finding struct {
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Severity  Severity `json:"severity"`
	Rule      string   `json:"rule"`
	Message   string   `json:"message"`
}

func (f Finding) String() string {
	id := f.Name
	if f.Namespace != "" {
		id = f.Namespace + "/" + f.Name
	}
	return fmt.Sprintf("%s:%d: %s %s: %s: %s [%s]", f.File, f.Line, f.Kind, id, f.Severity, f.Message, f.Rule)
}

// Run lints resources. The configuration decides which CronWorkflows must carry our metrics.
func Run(ctx context.Context, cfg *config.Config, resources []*manifest.Resource) []Finding {
	l := &linter{cfg: cfg, defs: map[string]definition{}}
	typed := make([]any, len(resources))
	var objs []any
	for i, r := range resources {
		o, err := r.Typed()
		if err != nil {
			l.add(r, r.Node, Error, "argo-parse", fmt.Sprintf("Argo cannot read this resource: %v", err))
			continue
		}
		typed[i] = o
		objs = append(objs, o)
	}
	v := argolint.NewValidator(objs)
	for i, r := range resources {
		if typed[i] != nil {
			if _, err := v.Validate(ctx, typed[i]); err != nil {
				l.add(r, r.Node, Error, "argo-validation", err.Error())
			}
		}
		l.resource(r)
	}
	sort.SliceStable(l.findings, func(i, j int) bool {
		a, b := l.findings[i], l.findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return l.findings
}

type linter struct {
	cfg      *config.Config
	defs     map[string]definition // metric name -> first definition seen in the input
	findings []Finding
}

// definition is what the controller requires to be the same for every use of a metric name.
type definition struct {
	help, kind, keys string
	where            string
}

func (l *linter) add(r *manifest.Resource, n *yaml.Node, sev Severity, rule, msg string) {
	l.findings = append(l.findings, Finding{File: r.File, Line: r.LineOf(n), Kind: r.Kind, Namespace: r.Namespace,
		Name: r.Name, Severity: sev, Rule: rule, Message: msg})
}

func (l *linter) resource(r *manifest.Resource) {
	spec := manifest.Lookup(r.Node, "spec")
	wf := spec
	if r.Kind == "CronWorkflow" {
		wf = manifest.Lookup(spec, "workflowSpec")
		if s := manifest.Lookup(spec, "schedule"); s != nil && s.Kind == yaml.ScalarNode && s.Value != "" {
			l.add(r, s, Warning, "schedule-v4", "spec.schedule is removed in Argo v4: use spec.schedules (Argo v3.6+)")
		}
		l.cron(r, spec)
	}
	if wf == nil || wf.Kind != yaml.MappingNode {
		return
	}
	templates := templatesOf(wf)
	entry := templates[scalar(wf, "entrypoint")]
	hasExit := scalar(wf, "onExit") != "" || manifest.Lookup(wf, "hooks", "exit") != nil
	isCron := r.Kind == "CronWorkflow"
	if m := manifest.Lookup(wf, "metrics", "prometheus"); m != nil {
		l.metrics(r, m, scope{workflow: wf, template: entry, workflowLevel: true, cron: isCron, exitHandler: hasExit})
		l.exitHandlerLimit(r, wf, m, templates)
	}
	for _, t := range templates {
		if m := manifest.Lookup(t, "metrics", "prometheus"); m != nil {
			l.metrics(r, m, scope{workflow: wf, template: t, cron: isCron})
		}
	}
	if isCron {
		l.coverage(r)
	}
}

// exitHandlerLimit: a failed exit handler is seen through workflow.failures, where a container
// or script handler appears as "<workflow>.onExit"; a steps or DAG handler's failed pod appears
// under its step's name instead, so an exit_code built on that test cannot see it.
func (l *linter) exitHandlerLimit(r *manifest.Resource, wf, metrics *yaml.Node, templates map[string]*yaml.Node) {
	handler := scalar(wf, "onExit")
	node := manifest.Lookup(wf, "onExit")
	if handler == "" {
		if h := manifest.Lookup(wf, "hooks", "exit"); h != nil {
			handler, node = scalar(h, "template"), h
		}
	}
	t := templates[handler]
	if t == nil {
		return
	}
	var why string
	switch {
	case templateType(t) == "steps" || templateType(t) == "dag":
		why = fmt.Sprintf("is a %s template: when it fails, its failed pod is listed under its step's name", templateType(t))
	case manifest.Lookup(t, "retryStrategy") != nil:
		why = "has a retryStrategy: when it fails, only its attempts (<workflow>.onExit(N)) are listed"
	default:
		return
	}
	for _, m := range metrics.Content {
		m = manifest.Deref(m)
		if w := scalar(m, "when"); strings.Contains(w, "workflow.failures") && strings.Contains(w, ".onExit") {
			l.add(r, node, Warning, "exit-handler", fmt.Sprintf("the exit handler %q %s, not as <workflow>.onExit, so metric %q keeps reporting success when the handler fails; make it a container or script template without retries", handler, why, scalar(m, "name")))
			return
		}
	}
}

// coverage: a CronWorkflow the configuration selects must carry our metrics exactly as inject
// would write them, or a job ships unmonitored (a new job, a skipped Kustomize function).
func (l *linter) coverage(r *manifest.Resource) {
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{r.Node}}
	p, err := (&inject.Injector{Config: l.cfg}).PlanTree(doc)
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*inject.Error); ok {
			msg = e.Msg
		}
		l.add(r, r.Node, Error, "coverage", "argo-metrics-gen cannot add its metrics: "+msg)
		return
	}
	for _, rep := range p.Reports {
		switch rep.Action {
		case inject.Injected:
			l.add(r, r.Node, Error, "coverage", "does not carry the argo-metrics-gen metrics: run `argo-metrics-gen inject` (or check that Kustomize ran the function: --enable-exec)")
		case inject.Updated:
			l.add(r, r.Node, Error, "coverage", "carries argo-metrics-gen metrics that differ from the configuration: run `argo-metrics-gen inject`")
		}
	}
}

// scope says where a list of metrics is evaluated.
type scope struct {
	workflow, template *yaml.Node // template: the template's node (the entry template at workflow level)
	workflowLevel      bool
	cron               bool
	exitHandler        bool
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	variable   = regexp.MustCompile(`{{\s*([^{}]*?)\s*}}`)
)

func (l *linter) metrics(r *manifest.Resource, list *yaml.Node, s scope) {
	where := "workflow-level"
	if !s.workflowLevel {
		where = "template " + scalar(s.template, "name")
	}
	if list.Kind != yaml.SequenceNode {
		l.add(r, list, Error, "metric-shape", "metrics.prometheus must be a list")
		return
	}
	for _, m := range list.Content {
		m = manifest.Deref(m)
		if m.Kind != yaml.MappingNode {
			l.add(r, m, Error, "metric-shape", "a metric must be a mapping")
			continue
		}
		name := scalar(m, "name")
		at := func(n *yaml.Node) *yaml.Node {
			if n != nil {
				return n
			}
			return m
		}
		if !metricName.MatchString(name) {
			l.add(r, at(manifest.Lookup(m, "name")), Error, "metric-name", fmt.Sprintf("metric name %q is invalid: names may only contain alphanumeric characters or '_' and must not start with a digit (%s)", name, where))
		}
		help := scalar(m, "help")
		if strings.TrimSpace(help) == "" {
			l.add(r, m, Error, "help", fmt.Sprintf("metric %q has no help: the controller refuses it (\"must contain a help string\")", name))
		}
		var keys []string
		if labels := manifest.Lookup(m, "labels"); labels != nil {
			for _, lb := range labels.Content {
				lb = manifest.Deref(lb)
				k, v := scalar(lb, "key"), scalar(lb, "value")
				keys = append(keys, k)
				if !metricName.MatchString(k) || strings.HasPrefix(k, "__") {
					l.add(r, lb, Error, "label-key", fmt.Sprintf("metric %q: label key %q is invalid (want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", name, k))
				}
				if v == "" {
					l.add(r, lb, Error, "label-value", fmt.Sprintf("metric %q: label %q has an empty value", name, k))
				}
				for _, ref := range refs(v) {
					if perRun[ref] || strings.HasPrefix(ref, "workflow.creationTimestamp") {
						l.add(r, lb, Warning, "per-run-label", fmt.Sprintf("metric %q: label %q takes {{%s}}, a new value every run: a new series per run, which grows without bound (and, in Datadog, bills each as a custom metric)", name, k, ref))
					}
				}
				l.variables(r, lb, s, name, v)
			}
		}
		sort.Strings(keys)
		kind, valueNode := metricKind(m)
		switch {
		case kind == "":
			l.add(r, m, Error, "metric-type", fmt.Sprintf("metric %q needs exactly one of gauge, counter or histogram", name))
		case kind == "histogram" && manifest.Lookup(m, "histogram", "buckets") == nil:
			l.add(r, m, Error, "metric-type", fmt.Sprintf("histogram %q needs buckets", name))
		}
		if valueNode != nil {
			l.value(r, m, valueNode, s, name, kind)
		}
		if when := manifest.Lookup(m, "when"); when != nil {
			l.variables(r, when, s, name, when.Value)
			l.when(r, when, s, name)
			if s.exitHandler && (strings.Contains(when.Value, "{{status}}") || strings.Contains(when.Value, "{{workflow.status}}")) {
				l.add(r, when, Warning, "exit-handler", fmt.Sprintf("metric %q: this workflow has an exit handler; when the body succeeds and the handler fails, Argo marks the run Failed but {{status}} and {{workflow.status}} still say Succeeded, so this metric reports success", name))
			}
		}
		l.variables(r, m, s, name, help)
		if name != "" && kind != "" {
			d := definition{help: help, kind: kind, keys: strings.Join(keys, ","), where: fmt.Sprintf("%s:%d (%s)", r.File, r.LineOf(m), r.ID())}
			if first, ok := l.defs[name]; !ok {
				l.defs[name] = d
			} else if first.help != d.help || first.kind != d.kind || first.keys != d.keys {
				l.add(r, m, Error, "redefinition", fmt.Sprintf("metric %q is defined with another help, type or label keys than at %s (help %q, %s, keys [%s]); the controller refuses the second definition", name, first.where, first.help, first.kind, first.keys))
			}
		}
	}
}

func metricKind(m *yaml.Node) (string, *yaml.Node) {
	kind, n := "", 0
	var value *yaml.Node
	for _, k := range []string{"gauge", "counter", "histogram"} {
		if v := manifest.Lookup(m, k); v != nil {
			kind, n = k, n+1
			value = manifest.Lookup(v, "value")
			if value == nil {
				value = v
			}
		}
	}
	if n != 1 {
		return "", nil
	}
	return kind, value
}

// value checks a metric's value: literal numbers, or variables that hold numbers where the
// metric is computed. A value that does not parse is exported as 0 by the controller.
func (l *linter) value(r *manifest.Resource, m, v *yaml.Node, s scope, name, kind string) {
	if v.Kind != yaml.ScalarNode || v.Value == "" {
		l.add(r, v, Error, "metric-value", fmt.Sprintf("metric %q has no value", name))
		return
	}
	if kind == "gauge" && scalar(manifest.Lookup(m, "gauge"), "realtime") == "true" {
		ref := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v.Value, "{{"), "}}"))
		if ref != "workflow.duration" && ref != "duration" {
			l.add(r, v, Error, "realtime", fmt.Sprintf("metric %q: a realtime gauge's value must be {{workflow.duration}} or {{duration}}", name))
		}
		return
	}
	l.variables(r, v, s, name, v.Value)
	refs := refs(v.Value)
	if len(refs) == 0 {
		if _, err := strconv.ParseFloat(v.Value, 64); err != nil && !strings.Contains(v.Value, "{{=") {
			l.add(r, v, Error, "metric-value", fmt.Sprintf("metric %q: value %q is not a number; the controller exports 0", name, v.Value))
		}
		return
	}
	for _, ref := range refs {
		if !numeric(ref) {
			l.add(r, v, Warning, "non-numeric-value", fmt.Sprintf("metric %q: value {{%s}} may not be a number; when it is not, the controller logs an error and exports 0, which for a failure flag reads as success", name, ref))
		}
	}
}

// when checks that the condition evaluates with the controller's code paths once variables are
// replaced by representative values, for a success and for a failure: Argo expressions ({{= }})
// through Argo's template engine, the result through the govaluate evaluator.
func (l *linter) when(r *manifest.Resource, when *yaml.Node, s scope, name string) {
	for _, status := range []string{"Succeeded", "Failed"} {
		text := variable.ReplaceAllStringFunc(when.Value, func(v string) string {
			ref := strings.TrimSpace(v[2 : len(v)-2])
			switch {
			case strings.HasPrefix(ref, "="):
				return v // an expression: evaluated below
			case ref == "status" || ref == "workflow.status":
				return status
			case numeric(ref):
				return "1"
			}
			return "x"
		})
		if strings.Contains(text, "{{=") {
			// As computeMetrics: substitution runs on the JSON of the metric.
			b, _ := json.Marshal(text)
			replaced, err := template.Replace(string(b), representative(status), false)
			if err == nil {
				err = json.Unmarshal([]byte(replaced), &text)
			}
			if err != nil {
				l.add(r, when, Error, "when", fmt.Sprintf("metric %q: the controller cannot evaluate the expression in `when`: %v", name, err))
				return
			}
		}
		if _, err := preview.ShouldExecute(text); err != nil {
			l.add(r, when, Error, "when", fmt.Sprintf("metric %q: the controller cannot evaluate `when`: %v", name, err))
			return
		}
	}
}

// representative is a scope with every workflow-level variable set to a plausible value.
func representative(status string) map[string]any {
	scope := map[string]any{}
	for v := range workflowVars {
		scope[v] = "x"
	}
	for _, v := range []string{"duration", "workflow.duration", "workflow.creationTimestamp.s", "retries", "exitCode",
		"resourcesDuration.cpu", "resourcesDuration.memory", "workflow.priority"} {
		scope[v] = "1"
	}
	scope["status"], scope["workflow.status"] = status, status
	scope["workflow.name"] = "job-1748746800"
	scope["workflow.failures"] = strconv.Quote("null")
	return scope
}

// refs lists the simple variables ({{name}}, not {{=expression}}) of a template string.
func refs(s string) []string {
	var out []string
	for _, m := range variable.FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "=") {
			out = append(out, m[1])
		}
	}
	return out
}

// perRun are variables whose value differs every run.
var perRun = map[string]bool{"workflow.name": true, "workflow.uid": true, "workflow.scheduledTime": true,
	"workflow.duration": true, "duration": true, "workflow.failures": true, "pod.name": true, "outputs.result": true}

func numeric(ref string) bool {
	switch ref {
	case "duration", "workflow.duration", "exitCode", "retries", "resourcesDuration.cpu", "resourcesDuration.memory",
		"workflow.creationTimestamp.s", "workflow.priority":
		return true
	}
	return false
}

// variables reports variables that do not exist where the metric is computed: the controller
// then drops the metric with "unable to substitute parameters ... failed to resolve".
func (l *linter) variables(r *manifest.Resource, n *yaml.Node, s scope, name, text string) {
	for _, ref := range refs(text) {
		if ok, why := s.has(ref); !ok {
			l.add(r, n, Error, "unavailable-variable", fmt.Sprintf("metric %q uses {{%s}}, which %s; the controller drops the metric (failed to resolve {{%s}})", name, ref, why, ref))
		}
	}
}

// has reports whether a variable exists when the metrics of this scope are computed.
func (s scope) has(ref string) (bool, string) {
	if strings.HasPrefix(ref, "workflow.") {
		return s.hasWorkflow(ref)
	}
	t := s.template
	ttype := templateType(t)
	pod := ttype == "container" || ttype == "script" || ttype == "containerSet"
	switch {
	case ref == "status" || ref == "duration" || ref == "resourcesDuration.cpu" || ref == "resourcesDuration.memory":
		return true, ""
	case ref == "exitCode":
		if pod {
			return true, ""
		}
		if s.workflowLevel {
			return false, fmt.Sprintf("exists only for pod nodes, and this workflow's entry template is %s", describeType(ttype))
		}
		return false, fmt.Sprintf("exists only for pod nodes, and this template is %s", describeType(ttype))
	case ref == "retries":
		if ttype == "steps" || ttype == "dag" || manifest.Lookup(t, "retryStrategy") != nil {
			return true, ""
		}
		return false, "exists only for nodes with children (steps, DAG, retries)"
	case ref == "outputs.result":
		if ttype == "script" || ttype == "container" {
			return true, ""
		}
		return false, "exists only for script and container templates"
	case strings.HasPrefix(ref, "inputs.parameters."):
		if declared(manifest.Lookup(t, "inputs", "parameters"), strings.TrimPrefix(ref, "inputs.parameters.")) {
			return true, ""
		}
		return false, "is not an input parameter of the template"
	case strings.HasPrefix(ref, "outputs.parameters."):
		if !s.workflowLevel && declared(manifest.Lookup(t, "outputs", "parameters"), strings.TrimPrefix(ref, "outputs.parameters.")) {
			return true, ""
		}
		return false, "is not an output parameter of the template"
	}
	if s.workflowLevel {
		return false, "does not exist when workflow-level metrics are computed (at completion)"
	}
	return false, "does not exist when template metrics are computed"
}

var workflowVars = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range []string{"name", "namespace", "uid", "mainEntrypoint", "serviceAccountName", "status", "duration",
		"creationTimestamp", "creationTimestamp.s", "creationTimestamp.RFC3339", "failures", "parameters", "parameters.json",
		"labels", "labels.json", "annotations", "annotations.json"} {
		m["workflow."+v] = true
	}
	for c := range strftime.FormatChars {
		m["workflow.creationTimestamp."+string(c)] = true
	}
	return m
}()

func (s scope) hasWorkflow(ref string) (bool, string) {
	switch {
	case workflowVars[ref]:
		return true, ""
	case ref == "workflow.scheduledTime":
		if s.cron {
			return true, ""
		}
		return false, "exists only for runs a CronWorkflow created"
	case ref == "workflow.priority":
		if manifest.Lookup(s.workflow, "priority") != nil {
			return true, ""
		}
		return false, "exists only when spec.priority is set"
	case strings.HasPrefix(ref, "workflow.parameters."):
		if declared(manifest.Lookup(s.workflow, "arguments", "parameters"), strings.TrimPrefix(ref, "workflow.parameters.")) {
			return true, ""
		}
		return false, "is not a workflow argument"
	case strings.HasPrefix(ref, "workflow.labels."), strings.HasPrefix(ref, "workflow.annotations."),
		strings.HasPrefix(ref, "workflow.outputs.parameters."):
		return true, "" // set at run time; not knowable from the manifest
	}
	return false, "is not a workflow variable"
}

func declared(params *yaml.Node, name string) bool {
	if params == nil {
		return false
	}
	for _, p := range params.Content {
		p = manifest.Deref(p)
		if scalar(p, "name") == name {
			return true
		}
	}
	return false
}

func templatesOf(wf *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if ts := manifest.Lookup(wf, "templates"); ts != nil {
		for _, t := range ts.Content {
			t = manifest.Deref(t)
			out[scalar(t, "name")] = t
		}
	}
	return out
}

func templateType(t *yaml.Node) string {
	for _, k := range []string{"container", "script", "containerSet", "steps", "dag", "resource", "suspend", "http", "plugin", "data"} {
		if manifest.Lookup(t, k) != nil {
			return k
		}
	}
	return ""
}

func describeType(t string) string {
	switch t {
	case "":
		return "unknown (from a templateRef or missing)"
	case "steps", "dag":
		return "a " + strings.ToUpper(t[:1]) + t[1:] + " template"
	}
	return "a " + t + " template"
}

func scalar(n *yaml.Node, key string) string {
	if v := manifest.Lookup(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
