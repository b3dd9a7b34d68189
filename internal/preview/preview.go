// Package preview shows, offline, the /metrics lines the Argo workflow-controller would export
// when a workflow completes with a given outcome: seed article 000's port-forward + curl
// debugging, in CI.
//
// It runs the controller's own code where the controller's code is reachable: Argo's metrics
// package (the same registry, name validation, help-redefinition check and Prometheus exporter
// as the controller) and util/template for substitution. The parts that are methods of the
// controller's unexported operation context (the global parameters, the metric scope of the
// entry node, the loop of computeMetrics and the `when` evaluator) are replicated here, line for
// line, from workflow/controller/operator.go and steps.go of v3.7.18.
package preview

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Knetic/govaluate"
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/util/strftime"
	"github.com/argoproj/argo-workflows/v3/util/telemetry"
	"github.com/argoproj/argo-workflows/v3/util/template"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/metrics"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	log "github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
)

// Options describe the simulated completion.
type Options struct {
	Status   wfv1.WorkflowPhase // Succeeded, Failed or Error: the phase of the entry node
	Duration float64            // seconds the run took
	Created  time.Time          // creation (and, for CronWorkflows, scheduled) time of the run
	// ExitHandlerFailed simulates a failed onExit handler (a container or script template): the
	// controller then ends the run Failed, while status still holds the entry node's phase.
	ExitHandlerFailed bool
	// Before holds, by metric name (without the argo_workflows_ prefix), the value a gauge with
	// operation Add or Sub had before this run (e.g. consecutive failures so far); 0 otherwise.
	Before map[string]float64
}

// DefaultCreated is the creation time used unless one is given: fixed, so output is stable.
var DefaultCreated = time.Date(2025, time.June, 1, 3, 0, 0, 0, time.UTC)

// Workflow is the preview of one resource.
type Workflow struct {
	Resource *manifest.Resource
	RunName  string   // name of the simulated run
	Series   []string // exposition lines of the series this workflow wrote, sorted
	Errors   []string // the controller's error for each metric it could not emit
	Names    []string // exported metric names this workflow wrote
}

// mu serialises previews: Argo's exporter registers on Prometheus' process-wide default
// registry, which Run swaps for a fresh one.
var mu sync.Mutex

// Run simulates the completion of every workflow of resources, in order, in one metrics
// registry, as one controller would see them (a redefinition across workflows is refused as it
// is there).
func Run(ctx context.Context, resources []*manifest.Resource, opts Options) ([]Workflow, error) {
	mu.Lock()
	defer mu.Unlock()
	reg := prometheus.NewRegistry()
	oldReg, oldGath := prometheus.DefaultRegisterer, prometheus.DefaultGatherer
	prometheus.DefaultRegisterer, prometheus.DefaultGatherer = reg, reg
	defer func() { prometheus.DefaultRegisterer, prometheus.DefaultGatherer = oldReg, oldGath }()
	oldOut := log.StandardLogger().Out
	log.SetOutput(io.Discard) // the metrics package logs its start-up
	defer log.SetOutput(oldOut)

	m, err := metrics.New(ctx, "argo-workflows", "argo_workflows", &telemetry.Config{Enabled: true}, metrics.Callbacks{})
	if err != nil {
		return nil, err
	}
	templates := map[string]*wfv1.WorkflowSpec{}
	for _, r := range resources {
		switch r.Kind {
		case "WorkflowTemplate", "ClusterWorkflowTemplate":
			if o, err := r.Typed(); err == nil {
				templates[r.Kind+"/"+r.Name] = specOf(o)
			}
		}
	}
	var out []Workflow
	for _, r := range resources {
		w := Workflow{Resource: r}
		wf, execSpec, err := runOf(r, templates, opts)
		if err != nil {
			w.Errors = append(w.Errors, err.Error())
			out = append(out, w)
			continue
		}
		w.RunName = wf.Name
		if execSpec.Metrics == nil {
			out = append(out, w)
			continue
		}
		defineTemplateMetrics(ctx, m, execSpec, string(wf.UID))
		scope := metricScope(wf, execSpec, opts)
		written := map[string]bool{}
		for _, metricTmpl := range execSpec.Metrics.Prometheus {
			key, errText := compute(ctx, m, metricTmpl.DeepCopy(), scope, opts, string(wf.UID), written)
			if errText != "" {
				w.Errors = append(w.Errors, errText)
			}
			if key != "" {
				written[key] = true
			}
		}
		if w.Series, w.Names, err = gather(reg, written); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// defineTemplateMetrics registers the template-level metrics of spec as the controller does
// when their nodes complete, which is before the workflow completes: a template metric that
// redefines a workflow-level one (another help, type or label keys) wins, and the controller
// refuses the workflow-level one. Only definitions matter here, so values and label values are
// stand-ins and `when` is ignored; the series they write are not shown.
func defineTemplateMetrics(ctx context.Context, m *metrics.Metrics, spec *wfv1.WorkflowSpec, owner string) {
	for _, t := range spec.Templates {
		if t.Metrics == nil {
			continue
		}
		for _, p := range t.Metrics.Prometheus {
			d := p.DeepCopy()
			d.When = ""
			for _, l := range d.Labels {
				l.Value = "x"
			}
			switch {
			case d.Gauge != nil:
				d.Gauge.Value, d.Gauge.Realtime = "1", nil
			case d.Counter != nil:
				d.Counter.Value = "1"
			case d.Histogram != nil:
				d.Histogram.Value = "1"
			}
			compute(ctx, m, d, map[string]any{}, Options{}, owner+"/"+t.Name, map[string]bool{})
		}
	}
}

func specOf(o any) *wfv1.WorkflowSpec {
	switch t := o.(type) {
	case *wfv1.WorkflowTemplate:
		return &t.Spec
	case *wfv1.ClusterWorkflowTemplate:
		return &t.Spec
	}
	return nil
}

// runOf builds the Workflow the controller would run for a resource, and the spec it executes
// (a workflowTemplateRef joined with its template, as the controller does).
func runOf(r *manifest.Resource, templates map[string]*wfv1.WorkflowSpec, opts Options) (*wfv1.Workflow, *wfv1.WorkflowSpec, error) {
	o, err := r.Typed()
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the resource as Argo does: %v", err)
	}
	var wf *wfv1.Workflow
	switch t := o.(type) {
	case *wfv1.CronWorkflow:
		// As workflow/cron/operator.go names and builds each run.
		wf = common.ConvertCronWorkflowToWorkflowWithProperties(t, fmt.Sprintf("%s-%d", t.Name, opts.Created.Unix()), opts.Created)
		wf.Namespace = t.Namespace // the cron controller creates runs in the CronWorkflow's namespace
	case *wfv1.Workflow:
		wf = t.DeepCopy()
		if wf.Name == "" {
			wf.Name = wf.GenerateName + "x7k2p"
		}
	case *wfv1.WorkflowTemplate:
		wf = &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: t.Name + "-x7k2p", Namespace: t.Namespace,
			Labels: map[string]string{common.LabelKeyWorkflowTemplate: t.Name}}, Spec: *t.Spec.DeepCopy()}
	case *wfv1.ClusterWorkflowTemplate:
		wf = &wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: t.Name + "-x7k2p",
			Labels: map[string]string{common.LabelKeyClusterWorkflowTemplate: t.Name}}, Spec: *t.Spec.DeepCopy()}
	}
	if wf.Namespace == "" {
		wf.Namespace = "default"
	}
	h := fnv.New64a()
	h.Write([]byte(wf.Namespace + "/" + wf.Name))
	wf.UID = types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", h.Sum64()&0xffffffffffff))
	wf.CreationTimestamp = metav1.NewTime(opts.Created)
	execSpec := &wf.Spec
	if ref := wf.Spec.WorkflowTemplateRef; ref != nil {
		kind := "WorkflowTemplate"
		if ref.ClusterScope {
			kind = "ClusterWorkflowTemplate"
		}
		tmpl := templates[kind+"/"+ref.Name]
		if tmpl == nil {
			return nil, nil, fmt.Errorf("workflowTemplateRef %s %q is not in the input: cannot know the spec the controller would run", kind, ref.Name)
		}
		joined, err := joinWorkflowSpec(&wf.Spec, tmpl)
		if err != nil {
			return nil, nil, err
		}
		execSpec = joined
	}
	return wf, execSpec, nil
}

// joinWorkflowSpec is workflow/util's JoinWorkflowSpec without defaults: the template's spec
// strategically patched with the run's own (that package would pull Argo's SQL persistence into
// this binary). Lists without a merge key, metrics among them, are replaced by the run's.
func joinWorkflowSpec(wfSpec, tmplSpec *wfv1.WorkflowSpec) (*wfv1.WorkflowSpec, error) {
	original, err := json.Marshal(wfv1.Workflow{Spec: *tmplSpec})
	if err != nil {
		return nil, err
	}
	patch, err := json.Marshal(wfv1.Workflow{Spec: *wfSpec})
	if err != nil {
		return nil, err
	}
	merged, err := strategicpatch.StrategicMergePatch(original, patch, wfv1.Workflow{})
	if err != nil {
		return nil, err
	}
	var out wfv1.Workflow
	if err := json.Unmarshal(merged, &out); err != nil {
		return nil, err
	}
	// As JoinWorkflowSpec: an argument with a value keeps the value of the highest priority.
	for i, p := range out.Spec.Arguments.Parameters {
		if a := wfSpec.Arguments.GetParameterByName(p.Name); a != nil && a.HasValue() {
			out.Spec.Arguments.Parameters[i] = *a.DeepCopy()
		}
	}
	return &out.Spec, nil
}

// metricScope is the scope of workflow-level metrics at completion: the global parameters
// (operator.go setGlobalParameters) plus the entry node's scope (steps.go prepareMetricScope).
func metricScope(wf *wfv1.Workflow, spec *wfv1.WorkflowSpec, opts Options) map[string]any {
	g := map[string]string{}
	g[common.GlobalVarWorkflowName] = wf.Name
	g[common.GlobalVarWorkflowNamespace] = wf.Namespace
	g[common.GlobalVarWorkflowMainEntrypoint] = spec.Entrypoint
	g[common.GlobalVarWorkflowServiceAccountName] = spec.ServiceAccountName
	g[common.GlobalVarWorkflowUID] = string(wf.UID)
	g[common.GlobalVarWorkflowCreationTimestamp] = wf.CreationTimestamp.Format(time.RFC3339)
	if val, ok := wf.GetAnnotations()[common.AnnotationKeyCronWfScheduledTime]; ok {
		g[common.GlobalVarWorkflowCronScheduleTime] = val
	}
	if spec.Priority != nil {
		g[common.GlobalVarWorkflowPriority] = strconv.Itoa(int(*spec.Priority))
	}
	for char := range strftime.FormatChars {
		g[fmt.Sprintf("%s.%s", common.GlobalVarWorkflowCreationTimestamp, string(char))] = strftime.Format("%"+string(char), wf.CreationTimestamp.Time)
	}
	g[common.GlobalVarWorkflowCreationTimestamp+".s"] = strconv.FormatInt(wf.CreationTimestamp.Unix(), 10)
	g[common.GlobalVarWorkflowCreationTimestamp+".RFC3339"] = wf.CreationTimestamp.Format(time.RFC3339)
	if b, err := json.Marshal(spec.Arguments.Parameters); err == nil {
		g[common.GlobalVarWorkflowParameters] = string(b)
		g[common.GlobalVarWorkflowParametersJSON] = string(b)
	}
	for _, p := range spec.Arguments.Parameters {
		switch {
		case p.Value != nil:
			g["workflow.parameters."+p.Name] = p.Value.String()
		case p.ValueFrom != nil && p.ValueFrom.Default != nil:
			g["workflow.parameters."+p.Name] = p.ValueFrom.Default.String()
		}
	}
	for _, kv := range []struct {
		all, allJSON, prefix string
		m                    map[string]string
	}{
		{common.GlobalVarWorkflowAnnotations, common.GlobalVarWorkflowAnnotationsJSON, "workflow.annotations.", wf.GetAnnotations()},
		{common.GlobalVarWorkflowLabels, common.GlobalVarWorkflowLabelsJSON, "workflow.labels.", wf.GetLabels()},
	} {
		if b, err := json.Marshal(kv.m); err == nil {
			g[kv.all], g[kv.allJSON] = string(b), string(b)
		}
		for k, v := range kv.m {
			g[kv.prefix+k] = v
		}
	}
	// At completion (operator.go): status, duration, and the failed nodes.
	g[common.GlobalVarWorkflowStatus] = string(opts.Status)
	g[common.GlobalVarWorkflowDuration] = fmt.Sprintf("%f", opts.Duration)
	g[common.GlobalVarWorkflowFailures] = strconv.Quote(failures(wf, spec, opts))

	scope := template.ToAnyMap(g)
	scope[common.LocalVarDuration] = fmt.Sprintf("%f", opts.Duration)
	scope[common.LocalVarStatus] = string(opts.Status)
	scope[common.LocalVarResourcesDuration+".cpu"] = "0"
	scope[common.LocalVarResourcesDuration+".memory"] = "0"
	if entry := templateNamed(spec, spec.Entrypoint); entry != nil {
		switch entry.GetType() {
		case wfv1.TemplateTypeSteps, wfv1.TemplateTypeDAG:
			scope[common.LocalVarRetries] = "0" // a node with children has them
		case wfv1.TemplateTypeContainer, wfv1.TemplateTypeScript, wfv1.TemplateTypeContainerSet:
			if opts.Status != wfv1.WorkflowError { // a pod that ran has an exit code
				scope[common.LocalVarExitCode] = map[bool]string{true: "0", false: "1"}[opts.Status == wfv1.WorkflowSucceeded]
			}
		}
		for _, p := range entry.Inputs.Parameters {
			v := ""
			if a := spec.Arguments.GetParameterByName(p.Name); a != nil && a.Value != nil {
				v = a.Value.String()
			} else if p.Default != nil {
				v = p.Default.String()
			}
			scope["inputs.parameters."+p.Name] = v
		}
	}
	return scope
}

// failures is the JSON of failed nodes the controller puts in workflow.failures (operator.go):
// the entry node when the body failed, the "<workflow>.onExit" node when the handler did.
func failures(wf *wfv1.Workflow, spec *wfv1.WorkflowSpec, opts Options) string {
	finished := opts.Created.Add(time.Duration(opts.Duration * float64(time.Second))).UTC().Format(time.RFC3339)
	var nodes []map[string]any
	if opts.Status != wfv1.WorkflowSucceeded {
		nodes = append(nodes, map[string]any{"displayName": wf.Name, "message": "preview: simulated " + string(opts.Status),
			"templateName": spec.Entrypoint, "phase": string(opts.Status), "podName": wf.Name, "finishedAt": finished})
	}
	if opts.ExitHandlerFailed {
		nodes = append(nodes, map[string]any{"displayName": wf.Name + ".onExit", "message": "preview: simulated exit handler failure",
			"templateName": spec.OnExit, "phase": "Failed", "podName": wf.Name + "-" + spec.OnExit, "finishedAt": finished})
	}
	b, _ := json.Marshal(nodes) // nil marshals as "null", as the controller's empty list
	return string(b)
}

// compute is the body of the controller's computeMetrics loop for one metric (operator.go). It
// returns the series key written, and the controller's error text when it reports one.
func compute(ctx context.Context, m *metrics.Metrics, metricTmpl *wfv1.Prometheus, localScope map[string]any, opts Options, owner string, written map[string]bool) (string, string) {
	duration := opts.Duration
	if metricTmpl.Help == "" {
		return "", fmt.Sprintf("metric '%s' must contain a help string under 'help: ' field", metricTmpl.Name)
	}
	metricTmplBytes, err := json.Marshal(metricTmpl)
	if err != nil {
		return "", fmt.Sprintf("unable to substitute parameters for metric '%s' (marshal): %s", metricTmpl.Name, err)
	}
	replacedValue, err := template.Replace(string(metricTmplBytes), localScope, false)
	if err != nil {
		return "", fmt.Sprintf("unable to substitute parameters for metric '%s': %s", metricTmpl.Name, err)
	}
	var substituted wfv1.Prometheus
	if err := json.Unmarshal([]byte(replacedValue), &substituted); err != nil {
		return "", fmt.Sprintf("unable to substitute parameters for metric '%s' (unmarshal): %s", metricTmpl.Name, err)
	}
	metricTmpl.Name, metricTmpl.Help, metricTmpl.Labels, metricTmpl.When = substituted.Name, substituted.Help, substituted.Labels, substituted.When
	proceed, err := ShouldExecute(metricTmpl.When)
	if err != nil {
		return "", fmt.Sprintf("unable to compute 'when' clause for metric '%s': %s", metricTmpl.Name, err)
	}
	if !proceed {
		return "", ""
	}
	key := seriesKey(metricTmpl)
	if metricTmpl.IsRealtime() {
		value := metricTmpl.Gauge.Value
		if !strings.HasPrefix(value, "{{") || !strings.HasSuffix(value, "}}") {
			return "", "real time metrics can only be used with metric variables"
		}
		value = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(value, "{{"), "}}"))
		if value != common.GlobalVarWorkflowDuration && value != common.LocalVarDuration {
			return "", fmt.Sprintf("'%s' is not available as a real time metric", value)
		}
		// Once the run ended the controller evaluates FinishedAt - StartedAt of the stored
		// workflow, whose timestamps have whole seconds (measured, test/e2e): the whole seconds
		// of the duration, up to one second off the exact one depending on when the run started.
		frozen := math.Floor(duration)
		if err := m.UpsertCustomMetric(ctx, metricTmpl, owner, func() float64 { return frozen }); err != nil {
			return key, fmt.Sprintf("could not construct metric '%s': %s", metricTmpl.Name, err)
		}
		return key, ""
	}
	metricSpec := metricTmpl.DeepCopy()
	valueJSON, err := json.Marshal(metricSpec.GetValueString())
	if err != nil {
		return "", fmt.Sprintf("unable to marshal metric to JSON for templating '%s': %s", metricSpec.Name, err)
	}
	replacedJSON, err := template.Replace(string(valueJSON), localScope, false)
	if err != nil {
		return "", fmt.Sprintf("unable to substitute parameters for metric '%s': %s", metricSpec.Name, err)
	}
	var replaced string
	if err := json.Unmarshal([]byte(replacedJSON), &replaced); err != nil {
		return "", fmt.Sprintf("unable to unmarshal templated metric JSON '%s': %s", metricSpec.Name, err)
	}
	metricSpec.SetValueString(replaced)
	if before, ok := opts.Before[metricSpec.Name]; ok && !written[key] && metricSpec.Gauge != nil &&
		(metricSpec.Gauge.Operation == wfv1.GaugeOperationAdd || metricSpec.Gauge.Operation == wfv1.GaugeOperationSub) {
		// The series as earlier runs left it: a plain set, then this run's operation on it.
		prior := metricSpec.DeepCopy()
		prior.Gauge.Operation, prior.Gauge.Value = wfv1.GaugeOperationSet, strconv.FormatFloat(before, 'g', -1, 64)
		if err := m.UpsertCustomMetric(ctx, prior, owner, nil); err != nil {
			return key, fmt.Sprintf("could not construct metric '%s': %s", metricSpec.Name, err)
		}
	}
	if err := m.UpsertCustomMetric(ctx, metricSpec, owner, nil); err != nil {
		// The series may exist already, at 0, when only the value failed to parse.
		return key, fmt.Sprintf("could not construct metric '%s': %s", metricSpec.Name, err)
	}
	return key, ""
}

// ShouldExecute is the controller's evaluator of `when` (steps.go shouldExecute): govaluate,
// with bare words taken as strings.
func ShouldExecute(when string) (bool, error) {
	if when == "" {
		return true, nil
	}
	expression, err := govaluate.NewEvaluableExpression(when)
	if err != nil {
		if strings.Contains(err.Error(), "Invalid token") {
			return false, fmt.Errorf("Invalid 'when' expression '%s': %v (hint: try wrapping the affected expression in quotes (\"))", when, err)
		}
		return false, fmt.Errorf("Invalid 'when' expression '%s': %v", when, err)
	}
	tokens := expression.Tokens()
	for i, tok := range tokens {
		if tok.Kind == govaluate.VARIABLE {
			tok.Kind = govaluate.STRING
			tokens[i] = tok
		}
	}
	expression, err = govaluate.NewEvaluableExpressionFromTokens(tokens)
	if err != nil {
		return false, fmt.Errorf("Failed to parse 'when' expression '%s': %v", when, err)
	}
	result, err := expression.Evaluate(nil)
	if err != nil {
		return false, fmt.Errorf("Failed to evaluate 'when' expresion '%s': %v", when, err)
	}
	boolRes, ok := result.(bool)
	if !ok {
		return false, fmt.Errorf("Expected boolean evaluation for '%s'. Got %v", when, result)
	}
	return boolRes, nil
}

// seriesKey identifies a series: exported name and its label pairs, as exposition sorts them.
func seriesKey(p *wfv1.Prometheus) string {
	pairs := make([]string, 0, len(p.Labels))
	for _, l := range p.Labels {
		pairs = append(pairs, l.Key+"="+l.Value)
	}
	sort.Strings(pairs)
	return "argo_workflows_" + p.Name + "{" + strings.Join(pairs, ",") + "}"
}

// gather renders, in the Prometheus text format, the series whose keys are in written.
func gather(reg *prometheus.Registry, written map[string]bool) ([]string, []string, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, nil, err
	}
	var lines, names []string
	for _, mf := range mfs {
		var keep []*dto.Metric
		for _, s := range mf.Metric {
			pairs := make([]string, 0, len(s.Label))
			for _, l := range s.Label {
				pairs = append(pairs, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(pairs)
			if written[mf.GetName()+"{"+strings.Join(pairs, ",")+"}"] {
				keep = append(keep, s)
			}
		}
		if len(keep) == 0 {
			continue
		}
		names = append(names, mf.GetName())
		var b strings.Builder
		family := &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit, Metric: keep}
		if _, err := expfmt.MetricFamilyToText(&b, family); err != nil {
			return nil, nil, err
		}
		for _, line := range strings.Split(b.String(), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				lines = append(lines, line)
			}
		}
	}
	sort.Strings(lines)
	return lines, names, nil
}

func templateNamed(spec *wfv1.WorkflowSpec, name string) *wfv1.Template {
	for i := range spec.Templates {
		if spec.Templates[i].Name == name {
			return &spec.Templates[i]
		}
	}
	return nil
}
