//go:build linux

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// Candidate formulations of the exit_code pair, evaluated side by side by the real controller
// on the same runs. Each is a pair of gauges with one name (guarded by opposite `when`s); the
// name differs per candidate so they do not overwrite one another.
type formulation struct {
	id, desc       string
	whenOK, whenKO string // the `when` of the value-0 and the value-1 gauge
}

var formulations = []formulation{
	{"status", "the seed recipe: {{status}} (phase of the entry node)",
		"{{status}} == Succeeded", "{{status}} != Succeeded"},
	{"wfstatus", "{{workflow.status}} (set to the entry node's phase before metrics are computed)",
		"{{workflow.status}} == Succeeded", "{{workflow.status}} != Succeeded"},
	{"failures", "govaluate over the raw {{workflow.failures}} JSON",
		`{{status}} == Succeeded && {{workflow.failures}} == "null"`, `{{status}} != Succeeded || {{workflow.failures}} != "null"`},
	{"onexit", "expression: the entry node's phase, or a node named <workflow>.onExit... in workflow.failures",
		"{{=status == 'Succeeded' && !(workflow.failures contains (workflow.name + '.onExit'))}}",
		"{{=status != 'Succeeded' || workflow.failures contains (workflow.name + '.onExit')}}"},
	{"exact", "expression: the entry node's phase, or the node named exactly <workflow>.onExit in workflow.failures",
		WhenExitOK, WhenExitKO},
}

// The recommended exit_code `when` clauses (see the report in TestExitCodeFormulations): the
// ones the recipe ships, so this test proves exactly what inject writes.
// {{= ...}} is an Argo expression (expr-lang): `workflow.failures` is a string variable there,
// so its content (JSON with quotes of both kinds) never reaches govaluate's tokenizer; the
// expression's result, true or false, is what govaluate then evaluates.
// The display name is matched with the closing quote that follows it in the (Go-quoted JSON)
// string, `\"`, so a retry attempt of the handler ("<workflow>.onExit(0)") does not match.
const (
	WhenExitOK = recipe.WhenSucceeded
	WhenExitKO = recipe.WhenNotSucceeded
)

const formulationWF = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE__
  workflowSpec:
    entrypoint: main
    onExit: __HANDLER__
    arguments:
      parameters:
        - {name: body, value: "0"}
        - {name: handler, value: "0"}
    templates:
      - name: main
        steps:
          - - name: work
              template: work
            - name: flaky
              template: flaky
      - name: work
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.body}}"]
      - name: flaky
        metadata:
          annotations: {e2e.argo-metrics-gen.io/fail-attempts: "__FLAKY__"}
        retryStrategy: {limit: 2}
        container:
          image: busybox
          command: [sh, -c, "exit 0"]
      - name: leaf-handler
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.handler}}"]
      - name: steps-handler
        steps:
          - - name: notify
              template: leaf-handler
      - name: retried-handler
        metadata:
          annotations: {e2e.argo-metrics-gen.io/fail-attempts: "{{workflow.parameters.handler}}"}
        retryStrategy: {limit: 1}
        container:
          image: busybox
          command: [sh, -c, "exit 0"]
`

func formulationMetrics(job string) []wfv1.Prometheus {
	var out []wfv1.Prometheus
	for _, f := range formulations {
		labels := []*wfv1.MetricLabel{{Key: "job", Value: job}}
		name := "e2e_probe_exit_code_" + f.id
		help := "probe of the exit_code formulation " + f.id
		out = append(out,
			wfv1.Prometheus{Name: name, Help: help, Labels: labels, When: f.whenOK, Gauge: &wfv1.Gauge{Value: "0"}},
			wfv1.Prometheus{Name: name, Help: help, Labels: labels, When: f.whenKO, Gauge: &wfv1.Gauge{Value: "1"}})
	}
	return out
}

// TestExitCodeFormulations runs the same workflows under every candidate formulation and
// checks what the real controller exports for each, against the workflow's final phase.
// Expected values that differ from the phase document a defect of that formulation; "error"
// means the controller refused the metric (MetricsError) and exported nothing for that run.
func TestExitCodeFormulations(t *testing.T) {
	p := needPlane(t)
	type run struct {
		desc, handler, body, exit, flaky string
		phase                            wfv1.WorkflowPhase
		want                             map[string]string // formulation id -> exported value or "error"
	}
	runs := []run{
		{"body ok, leaf handler fails", "leaf-handler", "0", "1", "0", failed,
			map[string]string{"status": "0", "wfstatus": "0", "failures": "1", "onexit": "1", "exact": "1"}},
		{"body ok, handler ok", "leaf-handler", "0", "0", "0", succeeded,
			map[string]string{"status": "0", "wfstatus": "0", "failures": "0", "onexit": "0", "exact": "0"}},
		{"body fails (steps: messages quote node names), handler ok", "leaf-handler", "1", "0", "0", failed,
			map[string]string{"status": "1", "wfstatus": "1", "failures": "error", "onexit": "1", "exact": "1"}},
		{"body ok after a failed first attempt (retry), handler ok", "leaf-handler", "0", "0", "1", succeeded,
			map[string]string{"status": "0", "wfstatus": "0", "failures": "1", "onexit": "0", "exact": "0"}},
		{"body ok after a failed first attempt, leaf handler fails", "leaf-handler", "0", "1", "1", failed,
			map[string]string{"status": "0", "wfstatus": "0", "failures": "1", "onexit": "1", "exact": "1"}},
		{"body ok, steps handler fails", "steps-handler", "0", "1", "0", failed,
			// Known limit: only the handler's pod is in workflow.failures when metrics are
			// computed (the steps node fails later in the same pass), under its step name.
			map[string]string{"status": "0", "wfstatus": "0", "failures": "1", "onexit": "0", "exact": "0"}},
		{"body ok, steps handler ok", "steps-handler", "0", "0", "0", succeeded,
			map[string]string{"status": "0", "wfstatus": "0", "failures": "0", "onexit": "0", "exact": "0"}},
		{"body ok, retried handler: 1st attempt fails, 2nd ok", "retried-handler", "0", "1", "0", succeeded,
			map[string]string{"status": "0", "wfstatus": "0", "failures": "1", "onexit": "1", "exact": "0"}},
		{"body ok, retried handler: every attempt fails", "retried-handler", "0", "2", "0", failed,
			// Like a steps handler: only the attempts are listed when metrics are computed.
			map[string]string{"status": "0", "wfstatus": "0", "failures": "1", "onexit": "1", "exact": "0"}},
	}
	var report []string
	for i, r := range runs {
		name := fmt.Sprintf("formulation-%d", i)
		src := p.render(name, strings.NewReplacer("__HANDLER__", r.handler, "__FLAKY__", r.flaky).Replace(formulationWF))
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(src), &obj); err != nil {
			t.Fatal(err)
		}
		ms, err := runtimeJSON(formulationMetrics(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedSlice(obj, ms, "spec", "workflowSpec", "metrics", "prometheus"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Dynamic.Resource(cronGVR).Namespace(Namespace).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		j := &Job{t: t, p: p, Name: name}
		wf := p.WaitDone(t, j.Trigger(map[string]string{"body": r.body, "handler": r.exit}).Name)
		if wf.Status.Phase != r.phase {
			t.Fatalf("%s: phase %s, want %s\n%s", r.desc, wf.Status.Phase, r.phase, describe(wf))
		}
		got := map[string]string{}
		err = poll(metricsTimeout, 200*1e6, "probe metrics of "+name, func() (bool, error) {
			body, err := p.Scrape()
			if err != nil {
				return false, err
			}
			e, err := ParseExposition(body)
			if err != nil {
				return false, err
			}
			got = map[string]string{}
			errs := metricErrors(wf.Name, p)
			for _, f := range formulations {
				ss := e.Select("argo_workflows_e2e_probe_exit_code_"+f.id, map[string]string{"job": name})
				switch {
				case len(ss) == 1:
					got[f.id] = ss[0].Text
				case len(ss) == 0 && errs != "":
					got[f.id] = "error"
				case len(ss) == 0:
					got[f.id] = "(absent)"
				default:
					got[f.id] = fmt.Sprintf("(%d series)", len(ss))
				}
			}
			return mapsEqual(got, r.want), nil
		})
		line := fmt.Sprintf("%-58s phase %-9s %s", r.desc, wf.Status.Phase, formatMap(got))
		report = append(report, line)
		if err != nil {
			t.Errorf("%s: got %s, want %s (%v)\n%s\n%s", r.desc, formatMap(got), formatMap(r.want), err, describe(wf), metricErrors(wf.Name, p))
		}
	}
	t.Logf("exit_code formulations on workflow-controller %s:\n  %s", p.ArgoVersion, strings.Join(report, "\n  "))
}

// metricErrors returns the MetricsError messages the controller recorded for a run (workflow
// condition and log lines).
func metricErrors(wfName string, p *Plane) string {
	var out []string
	wf, err := p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Get(context.Background(), wfName, metav1.GetOptions{})
	if err == nil {
		for _, c := range wf.Status.Conditions {
			if c.Type == wfv1.ConditionTypeMetricsError {
				out = append(out, "condition: "+c.Message)
			}
		}
	}
	for _, l := range strings.Split(p.ControllerLog(), "\n") {
		if strings.Contains(l, wfName) && isErrorLine(l) && strings.Contains(strings.ToLower(l), "metric") {
			out = append(out, "log: "+l)
		}
	}
	return strings.Join(out, "\n")
}

func runtimeJSON(v any) ([]any, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out []any
	err = yaml.Unmarshal(b, &out)
	return out, err
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []string
	for _, k := range keys {
		b = append(b, k+"="+m[k])
	}
	return strings.Join(b, " ")
}

// TestExpressionOnlyAtWorkflowLevel: the recommended clauses are for workflow-level metrics
// only. In a template-level metric the controller substitutes the template before running it,
// with workflow.failures not yet defined, and fails the whole run with an Error.
func TestExpressionOnlyAtWorkflowLevel(t *testing.T) {
	p := needPlane(t)
	src := strings.Replace(singlePodJob, "      - name: main\n", `      - name: main
        metrics:
          prometheus:
            - name: e2e_template_level_exit_code
              help: "template-level use of the recommended clause"
              labels: [{key: job, value: __NAME__}]
              when: `+strconv.Quote(WhenExitOK)+`
              gauge: {value: "0"}
`, 1)
	src = p.render("template-level", src)
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(src), &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Dynamic.Resource(cronGVR).Namespace(Namespace).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	j := &Job{t: t, p: p, Name: "template-level"}
	wf := p.WaitDone(t, j.Trigger(nil).Name)
	t.Logf("run %s: %s %q", wf.Name, wf.Status.Phase, wf.Status.Message)
	// v3.7/v4: "failed to unmarshall JSON expression: invalid character '&' ..."; v3.5/v3.6:
	// "cannot finish template replacement because the result was invalid JSON".
	if wf.Status.Phase != errored || !strings.Contains(wf.Status.Message, "JSON") {
		t.Fatalf("want the run to end Error on the expression (documented limit), got\n%s", describe(wf))
	}
}
