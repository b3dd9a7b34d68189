//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	yamlv3 "go.yaml.in/yaml/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

const (
	runTimeout     = 120 * time.Second // one workflow run, pods included
	metricsTimeout = 20 * time.Second  // until the scraped lines match after a run completed
	metricPrefix   = "argo_workflows_"
)

var cronGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "cronworkflows"}

// Job is one CronWorkflow under test, injected by the project's own injector, and the model of
// what the controller must export for it after each run.
type Job struct {
	t        *testing.T
	p        *Plane
	cfg      *config.Config
	Name     string
	Raw      []byte                       // the injector's output
	Injected []byte                       // what is applied: Raw, or Raw with the when clauses overridden
	defs     map[string][]wfv1.Prometheus // our (managed) metrics by name, from the injected YAML

	// The model: what the series must say after the runs so far.
	runs        int
	exitCode    int
	failStreak  int   // failed runs in a row (consecutive_failures), since the last success
	lastSuccess int64 // creation time (Unix s) of the last Succeeded run, 0 if none
	// Extra exact lines the job must export (a user's own metrics), canonical form.
	Extra []string
	// lastRun is the last run observed.
	lastRun  *wfv1.Workflow
	observed map[string]bool // runs recorded in the model
	logMark  int             // controller log length at the previous check
}

// scheduleLine renders the schedule for the controller's version: `schedule` up to v3.5,
// `schedules` from v3.6 (v4 removed `schedule`).
func scheduleLine(version, spec string) string {
	if strings.HasPrefix(version, "v3.5.") || strings.HasPrefix(version, "v3.4.") {
		return fmt.Sprintf("schedule: %q", spec)
	}
	return fmt.Sprintf("schedules: [%q]", spec)
}

// never is a schedule that does not fire during a test: runs are triggered by the test.
const never = "0 0 1 1 *"

// render fills the placeholders of a CronWorkflow source: __NAME__, __SCHEDULE__ (never) and
// __SCHEDULE(spec)__.
func (p *Plane) render(name, src string) string {
	src = strings.ReplaceAll(src, "__NAME__", name)
	src = regexp.MustCompile(`__SCHEDULE\(([^)]*)\)__`).ReplaceAllStringFunc(src, func(m string) string {
		return scheduleLine(p.ArgoVersion, m[len("__SCHEDULE("):len(m)-3])
	})
	return strings.ReplaceAll(src, "__SCHEDULE__", scheduleLine(p.ArgoVersion, never))
}

// injectYAML runs the project's injector with the default configuration on one document.
func injectYAML(t *testing.T, cfg *config.Config, src string) []byte {
	t.Helper()
	in := &inject.Injector{Config: cfg}
	res, err := in.Stream([]byte(src))
	if err != nil {
		t.Fatalf("inject: %v\n%s", err, src)
	}
	if !res.Changed {
		t.Fatalf("inject changed nothing:\n%s", src)
	}
	return res.Bytes()
}

// NewJob injects the CronWorkflow source and creates it.
func NewJob(t *testing.T, p *Plane, name, src string) *Job {
	t.Helper()
	return NewJobWithConfig(t, p, name, src, config.Default())
}

// NewJobWithConfig is NewJob with the injector's configuration given.
func NewJobWithConfig(t *testing.T, p *Plane, name, src string, cfg *config.Config) *Job {
	t.Helper()
	j := &Job{t: t, p: p, cfg: cfg, Name: name, observed: map[string]bool{}, logMark: len(p.ControllerLog())}
	j.apply(p.render(name, src), false)
	return j
}

// Update re-injects a changed source and updates the CronWorkflow (the controller creates
// later runs from it).
func (j *Job) Update(src string) {
	j.t.Helper()
	j.apply(j.p.render(j.Name, src), true)
}

func (j *Job) apply(src string, update bool) {
	t := j.t
	t.Helper()
	j.Raw = injectYAML(t, j.cfg, src)
	j.Injected = overrideWhen(t, j.Raw)
	var obj map[string]any
	if err := yaml.Unmarshal(j.Injected, &obj); err != nil {
		t.Fatalf("injected YAML does not parse: %v", err)
	}
	u := &unstructured.Unstructured{Object: obj}
	j.defs = managedDefs(t, u)
	ctx := context.Background()
	res := j.p.Dynamic.Resource(cronGVR).Namespace(Namespace)
	if update {
		cur, err := res.Get(ctx, j.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		u.SetResourceVersion(cur.GetResourceVersion())
		if _, err := res.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("updating CronWorkflow %s: %v", j.Name, err)
		}
		return
	}
	if _, err := res.Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating CronWorkflow %s: %v", j.Name, err)
	}
}

// overrideWhen, with E2E_EXIT_CODE_WHEN=recommended, replaces the `when` clauses of the
// injected exit_code / last_success_timestamp entries (the recipe's, or the seed recipe's
// {{status}} ones) by the recommended ones (WhenExitOK / WhenExitKO), so every scenario can be
// run with the formulation before the recipe adopts it. Only the managed entries (named in the
// managed-metrics annotation) change; a user's metric that happens to use the same clause is
// left alone. It fails if no managed entry has a known clause (the recipe changed).
func overrideWhen(t *testing.T, injected []byte) []byte {
	t.Helper()
	if os.Getenv(envExitCodeWhen) != "recommended" {
		return injected
	}
	// Built by assignment: the recipe's clauses may already be the recommended ones.
	replacement := map[string]string{}
	for _, k := range []string{"{{status}} == Succeeded", recipe.WhenSucceeded, WhenExitOK} {
		replacement[k] = WhenExitOK
	}
	for _, k := range []string{"{{status}} != Succeeded", recipe.WhenNotSucceeded, WhenExitKO} {
		replacement[k] = WhenExitKO
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(injected, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(n *yamlv3.Node, key string) *yamlv3.Node {
		if n == nil || n.Kind != yamlv3.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	root := doc.Content[0]
	managed := map[string]bool{}
	for _, n := range strings.Split(get(get(get(root, "metadata"), "annotations"), config.AnnotationManaged).Value, ",") {
		managed[strings.TrimSpace(n)] = true
	}
	replaced := 0
	list := get(get(get(get(root, "spec"), "workflowSpec"), "metrics"), "prometheus")
	for _, m := range list.Content {
		name, when := get(m, "name"), get(m, "when")
		if name == nil || when == nil || !managed[name.Value] {
			continue
		}
		if r, ok := replacement[when.Value]; ok {
			when.Value = r
			when.Style = yamlv3.DoubleQuotedStyle
			replaced++
		}
	}
	if replaced == 0 {
		t.Fatalf("%s=recommended: no injected metric uses a known when clause (the recipe changed?)", envExitCodeWhen)
	}
	out, err := yamlv3.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// managedDefs returns the metrics the injector manages in the CronWorkflow (its
// managed-metrics annotation names them), by name.
func managedDefs(t *testing.T, u *unstructured.Unstructured) map[string][]wfv1.Prometheus {
	t.Helper()
	ann := u.GetAnnotations()[config.AnnotationManaged]
	if ann == "" {
		t.Fatalf("injected CronWorkflow has no %s annotation", config.AnnotationManaged)
	}
	managed := map[string]bool{}
	for _, n := range strings.Split(ann, ",") {
		managed[strings.TrimSpace(n)] = true
	}
	raw, _, _ := unstructured.NestedSlice(u.Object, "spec", "workflowSpec", "metrics", "prometheus")
	b, _ := json.Marshal(raw)
	var all []wfv1.Prometheus
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatalf("metrics of the injected CronWorkflow: %v", err)
	}
	out := map[string][]wfv1.Prometheus{}
	for _, m := range all {
		if managed[m.Name] {
			out[m.Name] = append(out[m.Name], m)
		}
	}
	for n := range managed {
		if len(out[n]) == 0 {
			t.Fatalf("managed metric %q not found in the injected CronWorkflow", n)
		}
	}
	return out
}

// ExitCodeEntries returns the injected exit_code entries, for the report.
func (j *Job) ExitCodeEntries() string {
	var obj map[string]any
	if err := yaml.Unmarshal(j.Injected, &obj); err != nil {
		return err.Error()
	}
	all, _, _ := unstructured.NestedSlice(obj, "spec", "workflowSpec", "metrics", "prometheus")
	var ours []any
	for _, m := range all {
		if mm, ok := m.(map[string]any); ok && mm["name"] == j.cfg.Spec.Metrics.ExitCode.Name {
			ours = append(ours, m)
		}
	}
	b, _ := yaml.Marshal(ours)
	return string(b)
}

// Trigger creates one run from the stored CronWorkflow exactly as the controller's cron
// scheduler does (common.ConvertCronWorkflowToWorkflowWithProperties: its name, labels,
// scheduled-time annotation and owner reference), with parameter values overridden the way
// `argo submit --from cronwf/NAME -p k=v` does.
func (j *Job) Trigger(params map[string]string) *wfv1.Workflow {
	t := j.t
	t.Helper()
	ctx := context.Background()
	cron, err := j.p.Argo.ArgoprojV1alpha1().CronWorkflows(Namespace).Get(ctx, j.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		now := time.Now()
		wf := common.ConvertCronWorkflowToWorkflowWithProperties(cron, fmt.Sprintf("%s-%d", j.Name, now.Unix()), now)
		setParams(wf, params)
		created, err := j.p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Create(ctx, wf, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) && attempt < 3 {
			time.Sleep(time.Until(now.Truncate(time.Second).Add(time.Second)))
			continue // one run per second, like the scheduler's names
		}
		if err != nil {
			t.Fatalf("creating a run of %s: %v", j.Name, err)
		}
		return created
	}
}

func setParams(wf *wfv1.Workflow, params map[string]string) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		found := false
		for i := range wf.Spec.Arguments.Parameters {
			if wf.Spec.Arguments.Parameters[i].Name == k {
				wf.Spec.Arguments.Parameters[i].Value = wfv1.AnyStringPtr(params[k])
				found = true
			}
		}
		if !found {
			wf.Spec.Arguments.Parameters = append(wf.Spec.Arguments.Parameters, wfv1.Parameter{Name: k, Value: wfv1.AnyStringPtr(params[k])})
		}
	}
}

// Run triggers a run, waits for it and checks its phase and the exported lines.
func (j *Job) Run(params map[string]string, want wfv1.WorkflowPhase) *wfv1.Workflow {
	j.t.Helper()
	wf := j.p.WaitDone(j.t, j.Trigger(params).Name)
	j.Observe(wf, want)
	return wf
}

// WaitDone waits until the named workflow is completed and returns it.
func (p *Plane) WaitDone(t *testing.T, name string) *wfv1.Workflow {
	t.Helper()
	var wf *wfv1.Workflow
	err := poll(runTimeout, 200*time.Millisecond, "workflow "+name+" to complete", func() (bool, error) {
		p.checkAlive(t)
		var err error
		wf, err = p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return wf.Status.Phase.Completed(), nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, describe(wf))
	}
	return wf
}

// checkAlive fails the test if the stand-in kubelet reported an error or the controller died.
func (p *Plane) checkAlive(t *testing.T) {
	t.Helper()
	if errs := p.Kubelet.Errors(); len(errs) > 0 {
		t.Fatalf("stand-in kubelet: %s", strings.Join(errs, "; "))
	}
	if err := p.ControllerAlive(); err != nil {
		t.Fatal(err)
	}
}

// describe summarizes a workflow's status for failure messages.
func describe(wf *wfv1.Workflow) string {
	if wf == nil {
		return "(no workflow)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "workflow %s: phase %q message %q\n", wf.Name, wf.Status.Phase, wf.Status.Message)
	ids := make([]string, 0, len(wf.Status.Nodes))
	for id := range wf.Status.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n := wf.Status.Nodes[id]
		fmt.Fprintf(&b, "  node %-45s %-10s %-9s %q\n", n.Name, n.Type, n.Phase, n.Message)
	}
	for _, c := range wf.Status.Conditions {
		fmt.Fprintf(&b, "  condition %s=%s %q\n", c.Type, c.Status, c.Message)
	}
	return b.String()
}

// Observe checks a completed run's phase, updates the model (exit_code is 1 unless the run
// Succeeded; last_success_timestamp is the creation time of the last Succeeded run) and checks
// the exported lines and the absence of metric errors.
func (j *Job) Observe(wf *wfv1.Workflow, want wfv1.WorkflowPhase) {
	j.t.Helper()
	j.record(wf, want)
	j.CheckMetrics(wf)
}

// record checks a completed run's phase and updates the model.
func (j *Job) record(wf *wfv1.Workflow, want wfv1.WorkflowPhase) {
	t := j.t
	t.Helper()
	if wf.Status.Phase != want {
		t.Fatalf("run %s: phase %s, want %s\n%s", wf.Name, wf.Status.Phase, want, describe(wf))
	}
	j.runs++
	j.lastRun = wf
	if wf.Status.Phase == wfv1.WorkflowSucceeded {
		j.exitCode = 0
		j.lastSuccess = wf.CreationTimestamp.Unix()
		j.failStreak = 0
	} else {
		j.exitCode = 1
		j.failStreak++
	}
}

// Expected returns the lines the job's series must show now, canonical, with a duration value
// shown as "(>0)".
func (j *Job) Expected() []string {
	t := j.t
	t.Helper()
	m := j.cfg.Spec.Metrics
	var out []string
	names := make([]string, 0, len(j.defs))
	for n := range j.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		defs := j.defs[name]
		labels := map[string]string{}
		for _, l := range defs[0].Labels {
			switch {
			case l.Value == "{{workflow.namespace}}":
				labels[l.Key] = Namespace
			case strings.Contains(l.Value, "{{"):
				t.Fatalf("metric %s: label %s=%q: the test does not know this template", name, l.Key, l.Value)
			default:
				labels[l.Key] = l.Value
			}
		}
		var value string
		switch name {
		case m.ExitCode.Name:
			if j.runs == 0 {
				continue
			}
			value = strconv.Itoa(j.exitCode)
		case m.Duration.Name, m.CurrentRun.Name:
			if j.runs == 0 || (name == m.CurrentRun.Name && realtimeRemovedAtCompletion(j.p.ArgoVersion)) {
				continue
			}
			value = "(>0)"
		case m.ConsecutiveFailures.Name:
			if j.runs == 0 {
				continue
			}
			value = strconv.Itoa(j.failStreak)
		case m.LastSuccess.Name:
			if j.lastSuccess == 0 {
				continue
			}
			value = FormatValue(float64(j.lastSuccess))
		default:
			// A constant gauge emitted on every completion (e.g. a static threshold).
			if len(defs) != 1 || defs[0].When != "" || defs[0].Gauge == nil {
				t.Fatalf("managed metric %s: the test does not know what it should export: extend Expected", name)
			}
			f, err := strconv.ParseFloat(defs[0].Gauge.Value, 64)
			if err != nil {
				t.Fatalf("managed metric %s: the test does not know what value %q should export: extend Expected", name, defs[0].Gauge.Value)
			}
			if j.runs == 0 {
				continue
			}
			value = FormatValue(f)
		}
		out = append(out, Canonical(metricPrefix+name, labels, value))
	}
	out = append(out, j.Extra...)
	sort.Strings(out)
	return out
}

// realtimeRemovedAtCompletion: v3.6 deletes a workflow's realtime series when it completes
// (measured on v3.6.10); the other versions freeze it at the run's duration.
func realtimeRemovedAtCompletion(version string) bool {
	return strings.HasPrefix(version, "v3.6.")
}

// Scraped returns the job's exported lines (every sample carrying its name label), canonical.
func (j *Job) Scraped() ([]string, *Exposition, error) {
	body, err := j.p.Scrape()
	if err != nil {
		return nil, nil, err
	}
	e, err := ParseExposition(body)
	if err != nil {
		return nil, nil, err
	}
	durName := metricPrefix + j.cfg.Spec.Metrics.Duration.Name
	curName := metricPrefix + j.cfg.Spec.Metrics.CurrentRun.Name
	var out []string
	for _, s := range e.WithLabel(j.cfg.Spec.Labels.Name, j.Name) {
		v := s.Text
		if s.Name == durName || s.Name == curName {
			if s.Value > 0 {
				v = "(>0)"
			} else {
				v = "(not >0: " + s.Text + ")"
			}
		}
		out = append(out, Canonical(s.Name, s.Labels, v))
	}
	sort.Strings(out)
	return out, e, nil
}

// CheckMetrics waits (bounded) until the scraped lines equal the model, then checks the HELP
// texts and that nothing reported a metric error for this run.
func (j *Job) CheckMetrics(wf *wfv1.Workflow) {
	t := j.t
	t.Helper()
	want := j.Expected()
	var got []string
	var e *Exposition
	err := poll(metricsTimeout, 200*time.Millisecond, "exported lines of "+j.Name, func() (bool, error) {
		var err error
		got, e, err = j.Scraped()
		return err == nil && equal(got, want), err
	})
	if err != nil {
		t.Fatalf("after run %s (%s): %v\n want:\n  %s\n got:\n  %s\n%s", wf.Name, wf.Status.Phase, err,
			strings.Join(want, "\n  "), strings.Join(got, "\n  "), describe(wf))
	}
	for name, defs := range j.defs {
		if h, ok := e.Help[metricPrefix+name]; ok && h != defs[0].Help {
			t.Errorf("HELP of %s: %q, want %q", metricPrefix+name, h, defs[0].Help)
		}
	}
	j.CheckNoMetricErrors(wf)
	j.comparePreview(wf, e)
	t.Logf("run %s %s -> %s", wf.Name, wf.Status.Phase, strings.Join(got, " | "))
}

// CheckNoMetricErrors fails if the run carries a MetricsError condition or the controller
// logged an error about metrics for it (see metricProblems).
func (j *Job) CheckNoMetricErrors(wf *wfv1.Workflow) {
	j.t.Helper()
	problems, notes := j.metricProblems(wf)
	for _, n := range notes {
		j.t.Log(n)
	}
	for _, p := range problems {
		j.t.Error(p)
	}
}

// metricProblems returns the run's MetricsError conditions and the metric errors the controller
// logged: a line naming the run, or any metric error logged since the job's previous check
// (v4's logger does not always name the workflow; scenarios run one at a time, so such a line
// belongs to this job). notes are other error lines naming the run.
func (j *Job) metricProblems(wf *wfv1.Workflow) (problems, notes []string) {
	for _, c := range wf.Status.Conditions {
		if c.Type == wfv1.ConditionTypeMetricsError {
			problems = append(problems, fmt.Sprintf("run %s: MetricsError condition: %s", wf.Name, c.Message))
		}
	}
	log := j.p.ControllerLog()
	since := j.logMark
	if since > len(log) {
		since = 0
	}
	j.logMark = len(log)
	for _, line := range strings.Split(log, "\n") {
		if isErrorLine(line) && strings.Contains(line, wf.Name) {
			if strings.Contains(strings.ToLower(line), "metric") {
				problems = append(problems, fmt.Sprintf("controller logged a metric error for %s: %s", wf.Name, line))
			} else {
				notes = append(notes, fmt.Sprintf("controller error line (not about metrics) for %s: %s", wf.Name, line))
			}
		}
	}
	for _, line := range strings.Split(log[since:], "\n") {
		if isErrorLine(line) && !strings.Contains(line, wf.Name) && strings.Contains(strings.ToLower(line), "metric") {
			problems = append(problems, fmt.Sprintf("controller logged a metric error while %s ran: %s", j.Name, line))
		}
	}
	return problems, notes
}

func isErrorLine(line string) bool {
	return strings.Contains(line, "level=error") || strings.Contains(line, `"level":"error"`) ||
		strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "level=ERROR")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
