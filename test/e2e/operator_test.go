//go:build linux

package e2e

// What an on-call engineer does after a failure, on the real controller, with the chart's
// alerts on a real Prometheus (issue 26). There is no argo CLI here: each action calls the
// functions of github.com/argoproj/argo-workflows/v3 (v3.7.18, this module's version) that the
// argo CLI and argo-server call for it, against the plane's API server:
//
//	argo retry             util.FormulateRetryWorkflow, delete the pods it names, update (server RetryWorkflow);
//	                       on v4 as v4's own formulation does (formulateRetry)
//	argo resubmit          util.FormulateResubmitWorkflow, util.SubmitWorkflow (server ResubmitWorkflow)
//	argo submit --from     common.ConvertCronWorkflowToWorkflow, util.ApplySubmitOpts, create (server SubmitWorkflow)
//	argo stop / terminate  util.StopWorkflow / util.TerminateWorkflow
//	delete a workflow      delete the Workflow object
//	concurrencyPolicy      the controller's own Replace (terminates the running run at the next schedule)

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/common"
	"github.com/argoproj/argo-workflows/v3/workflow/util"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// opJob sleeps `sleep` seconds and exits `exit`; its concurrency policy and schedule are
// filled in.
const opJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE__
  concurrencyPolicy: __POLICY__
  workflowSpec:
    entrypoint: main
    arguments:
      parameters:
        - {name: exit, value: "0"}
        - {name: sleep, value: "__SLEEP__"}
    templates:
      - name: main
        container:
          image: busybox
          command: [sh, -c, "sleep {{workflow.parameters.sleep}}; exit {{workflow.parameters.exit}}"]
`

func opSource(policy, sleep string) string {
	return strings.NewReplacer("__POLICY__", policy, "__SLEEP__", sleep).Replace(opJob)
}

// opOutcome is one row of the operator-actions table.
type opOutcome struct {
	phase       wfv1.WorkflowPhase // of the run acted on (or of the run that followed)
	exitCode    string             // scraped after the action settled
	lastSuccess string             // which run's creation time last_success_timestamp holds
	alertOpen   bool               // ArgoCronWorkflowLastRunFailed active after the action
}

// series returns the job's exit_code and last_success_timestamp as the controller exports them
// ("" when absent).
func (j *Job) series() (exitCode, lastSuccess string) {
	j.t.Helper()
	body, err := j.p.Scrape()
	if err != nil {
		j.t.Fatal(err)
	}
	e, err := ParseExposition(body)
	if err != nil {
		j.t.Fatal(err)
	}
	m := j.cfg.Spec.Metrics
	for _, s := range e.Select(metricPrefix+m.ExitCode.Name, map[string]string{"cronworkflow": j.Name}) {
		exitCode = s.Text
	}
	for _, s := range e.Select(metricPrefix+m.LastSuccess.Name, map[string]string{"cronworkflow": j.Name}) {
		lastSuccess = s.Text
	}
	return exitCode, lastSuccess
}

// waitRunning waits until the named workflow's pod runs (the stand-in kubelet started it).
func (p *Plane) waitRunning(t *testing.T, name string) *wfv1.Workflow {
	t.Helper()
	var wf *wfv1.Workflow
	if err := poll(runTimeout, 100*time.Millisecond, "a running pod in "+name, func() (bool, error) {
		var err error
		wf, err = p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, n := range wf.Status.Nodes {
			if n.Type == wfv1.NodeTypePod && n.Phase == wfv1.NodeRunning {
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	return wf
}

// TestOperatorActions runs each action of the table on its own job and records, per action, the
// phase of the run, the job's exit_code and last_success_timestamp as the controller exports
// them, and whether the chart's ArgoCronWorkflowLastRunFailed is open once it settled. The
// recorded outcomes are what test/e2e/README.md tabulates per version; every row is asserted.
func TestOperatorActions(t *testing.T) {
	p := needPlane(t)
	ctx := context.Background()
	prom := p.StartPrometheus(t, "prometheus-operator-actions", filepath.Join("..", "..", chart.Dir), promChartValues(true))
	log := prom.logAlerts()
	t.Cleanup(log.Stop)
	wfs := p.Argo.ArgoprojV1alpha1().Workflows(Namespace)

	// settle waits until Prometheus scraped the controller after the action and evaluated the
	// rules twice more, then reads the outcome.
	settle := func(j *Job, phase wfv1.WorkflowPhase, success map[string]string) opOutcome {
		t.Helper()
		code, last := j.series()
		q := fmt.Sprintf(`cronworkflow:argo_workflows_exit_code:leader{cronworkflow=%q}`, j.Name)
		prom.wait(q+" == "+code, func() (bool, error) {
			r, err := prom.query(q)
			return err == nil && len(r) == 1 && r[0].Value[1] == code, err
		})
		prom.evaluatedAfter(time.Now(), 3)
		n := len(log.activeBetween(alertFailed, j.Name, time.Now().Add(-promInterval), time.Now().Add(time.Hour)))
		o := opOutcome{phase: phase, exitCode: code, lastSuccess: "(none)", alertOpen: n > 0}
		for what, ts := range success {
			if ts == last {
				o.lastSuccess = what
			}
		}
		if o.lastSuccess == "(none)" && last != "" {
			o.lastSuccess = "other: " + last
		}
		return o
	}
	created := func(wf *wfv1.Workflow) string { return FormatValue(float64(wf.CreationTimestamp.Unix())) }
	report := func(action string, o opOutcome) {
		t.Logf("ROW %s | %s | exit_code %s | last_success_timestamp: %s | LastRunFailed %s", p.ArgoVersion, action, o.exitCode, o.lastSuccess, map[bool]string{true: "open", false: "closed"}[o.alertOpen])
	}
	want := func(action string, got, want opOutcome) {
		t.Helper()
		report(action, got)
		if got != want {
			t.Errorf("%s: %+v, want %+v", action, got, want)
		}
	}

	// A failed run opens the incident.
	failFirst := func(name string) (*Job, *wfv1.Workflow) {
		t.Helper()
		j := NewJob(t, p, name, opSource("Forbid", "0"))
		wf := j.Run(map[string]string{"exit": "1"}, failed)
		log.firing(t, alertFailed, name, promTimeout)
		return j, wf
	}

	// submitFrom does what `argo submit --from cronwf/<job> -p k=v` does and waits for the run.
	submitFrom := func(j *Job, params ...string) *wfv1.Workflow {
		t.Helper()
		cron, err := p.Argo.ArgoprojV1alpha1().CronWorkflows(Namespace).Get(ctx, j.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wf := common.ConvertCronWorkflowToWorkflow(cron)
		if err := util.ApplySubmitOpts(wf, &wfv1.SubmitOpts{Parameters: params}); err != nil {
			t.Fatal(err)
		}
		c, err := wfs.Create(ctx, wf, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p.WaitDone(t, c.Name)
	}

	t.Run("retry", func(t *testing.T) {
		j, wf := failFirst("op-retry")
		retried, pods, err := formulateRetry(ctx, p, wf, []string{"exit=0"})
		if err != nil {
			t.Fatal(err)
		}
		for _, pod := range pods {
			if err := p.Kube.CoreV1().Pods(Namespace).Delete(ctx, pod, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		if _, err := wfs.Update(ctx, retried, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		done := p.WaitDone(t, wf.Name)
		// The retried run keeps the when clauses its failure evaluated (TestRetryFormulation):
		// exit_code stays 1, no success is recorded, the incident stays open.
		want("argo retry (failed run, then Succeeded)", settle(j, done.Status.Phase, map[string]string{"the retried run (its original creation)": created(wf)}),
			opOutcome{succeeded, "1", "(none)", true})
		after := submitFrom(j, "exit=0")
		want("argo retry, then argo submit --from Succeeded", settle(j, after.Status.Phase, map[string]string{"the new run": created(after)}),
			opOutcome{succeeded, "0", "the new run", false})
	})

	t.Run("resubmit", func(t *testing.T) {
		j, wf := failFirst("op-resubmit")
		newWF, err := util.FormulateResubmitWorkflow(ctx, wf, false, []string{"exit=0"})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := util.SubmitWorkflow(ctx, wfs, p.Argo, Namespace, newWF, nil, &wfv1.SubmitOpts{})
		if err != nil {
			t.Fatal(err)
		}
		done := p.WaitDone(t, sub.Name)
		// The new run copies the failed run's spec, with the when clauses its failure
		// evaluated: as for retry.
		want("argo resubmit (new run, Succeeded)", settle(j, done.Status.Phase, map[string]string{"the new run": created(done)}),
			opOutcome{succeeded, "1", "(none)", true})
		after := submitFrom(j, "exit=0")
		want("argo resubmit, then argo submit --from Succeeded", settle(j, after.Status.Phase, map[string]string{"the new run": created(after)}),
			opOutcome{succeeded, "0", "the new run", false})
	})

	t.Run("submit-from-cronwf", func(t *testing.T) {
		j, _ := failFirst("op-submit-from")
		done := submitFrom(j, "exit=0")
		want("argo submit --from cronwf/<job> (new run, Succeeded)", settle(j, done.Status.Phase, map[string]string{"the new run": created(done)}),
			opOutcome{succeeded, "0", "the new run", false})
	})

	// shutdown: a run that would succeed after 30 s is stopped (or terminated) while it runs;
	// then a run submitted from the CronWorkflow succeeds.
	shutdown := func(name, action string, act func(string) error) {
		j := NewJob(t, p, name, opSource("Forbid", "0"))
		ok := j.Run(map[string]string{"exit": "0"}, succeeded)
		run := p.waitRunning(t, j.Trigger(map[string]string{"sleep": "30"}).Name)
		if err := act(run.Name); err != nil {
			t.Fatal(err)
		}
		done := p.WaitDone(t, run.Name)
		want(action, settle(j, done.Status.Phase, map[string]string{"the run before": created(ok)}),
			opOutcome{failed, "1", "the run before", true})
		after := submitFrom(j, "exit=0")
		want(action+", then a run Succeeded", settle(j, after.Status.Phase, map[string]string{"the new run": created(after)}),
			opOutcome{succeeded, "0", "the new run", false})
	}
	t.Run("stop", func(t *testing.T) {
		shutdown("op-stop", "argo stop (running run)", func(name string) error { return util.StopWorkflow(ctx, wfs, nil, name, "", "") })
	})
	t.Run("terminate", func(t *testing.T) {
		shutdown("op-terminate", "argo terminate (running run)", func(name string) error { return util.TerminateWorkflow(ctx, wfs, name) })
	})

	t.Run("delete-running", func(t *testing.T) {
		j, wf := failFirst("op-delete")
		run := p.waitRunning(t, j.Trigger(map[string]string{"sleep": "30"}).Name)
		if err := wfs.Delete(ctx, run.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := poll(runTimeout, 100*time.Millisecond, run.Name+" gone", func() (bool, error) {
			_, err := wfs.Get(ctx, run.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * promInterval)
		want("delete a running workflow (the run before Failed)", settle(j, wf.Status.Phase, nil),
			opOutcome{failed, "1", "(none)", true})
		after := submitFrom(j, "exit=0")
		want("delete a running workflow, then a run Succeeded", settle(j, after.Status.Phase, map[string]string{"the new run": created(after)}),
			opOutcome{succeeded, "0", "the new run", false})
	})

	t.Run("replace", func(t *testing.T) {
		const name = "op-replace"
		// Scheduled every 4 s, Replace: the first run sleeps 30 s; once it runs the job is
		// changed to sleep 0, and the next schedule terminates it and starts a short one.
		src := strings.Replace(opSource("Replace", "30"), "__SCHEDULE__", "__SCHEDULE(@every 4s)__", 1)
		j := NewJob(t, p, name, src)
		var first string
		if err := poll(runTimeout, 100*time.Millisecond, "a scheduled run of "+name, func() (bool, error) {
			runs := j.runsByFinish()
			if len(runs) > 0 {
				first = runs[0].Name
			}
			return first != "", nil
		}); err != nil {
			t.Fatal(err)
		}
		p.waitRunning(t, first)
		j.Update(strings.Replace(src, `value: "30"`, `value: "0"`, 1))
		killed := p.WaitDone(t, first)
		var next *wfv1.Workflow
		if err := poll(runTimeout, 100*time.Millisecond, "a run of "+name+" after "+first, func() (bool, error) {
			for _, r := range j.runsByFinish() {
				if r.Name != first && r.Status.Phase == succeeded {
					r := r
					next = &r
					return true, nil
				}
			}
			return false, nil
		}); err != nil {
			t.Fatal(err)
		}
		p.setSuspend(t, name, true)
		if killed.Status.Phase != failed || !strings.Contains(killed.Status.Message, "Terminate") {
			t.Errorf("the replaced run %s: phase %s, want Failed by the Terminate strategy\n%s", first, killed.Status.Phase, describe(killed))
		}
		t.Logf("the replaced run %s: %s %q; first run after it %s", first, killed.Status.Phase, killed.Status.Message, next.Name)
		// Runs the schedule started before the suspension may also have been replaced (a run
		// slower than 4 s on a loaded machine): the last run to finish decides.
		if err := poll(runTimeout, 250*time.Millisecond, "runs of "+name+" to finish", func() (bool, error) {
			for _, r := range j.runsByFinish() {
				if !r.Status.Phase.Completed() {
					return false, nil
				}
			}
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		runs := j.runsByFinish()
		last := runs[len(runs)-1]
		successes := map[string]string{}
		for _, r := range runs {
			if r.Status.Phase == succeeded {
				successes["the last successful run"] = created(&r)
			}
		}
		o := settle(j, last.Status.Phase, successes)
		sawFailed := len(log.activeBetween(alertFailed, name, killed.Status.FinishedAt.Time, next.Status.FinishedAt.Time.Add(time.Minute))) > 0
		t.Logf("ROW %s | concurrencyPolicy Replace | LastRunFailed opened by the replaced run: %v", p.ArgoVersion, sawFailed)
		code := map[bool]string{true: "0", false: "1"}[last.Status.Phase == succeeded]
		want("concurrencyPolicy Replace (the replaced run Failed, the last run decides)", o,
			opOutcome{last.Status.Phase, code, "the last successful run", code == "1"})
	})
}

// retryProbe: a CronWorkflow (not injected) with the recipe's exit_code formulation (two gauges
// guarded by opposite `when`s), the same test as one gauge whose value is the expression (no
// `when`), and a success-only gauge like last_success_timestamp.
var retryProbe = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE__
  workflowSpec:
    entrypoint: main
    arguments:
      parameters:
        - {name: exit, value: "0"}
    metrics:
      prometheus:
        - {name: e2e_probe_retry_when, help: "exit_code as the recipe writes it", labels: [{key: job, value: __NAME__}], when: ` + strconv.Quote(WhenExitOK) + `, gauge: {value: "0"}}
        - {name: e2e_probe_retry_when, help: "exit_code as the recipe writes it", labels: [{key: job, value: __NAME__}], when: ` + strconv.Quote(WhenExitKO) + `, gauge: {value: "1"}}
        - {name: e2e_probe_retry_value, help: "exit_code as one value expression", labels: [{key: job, value: __NAME__}], gauge: {value: ` + strconv.Quote("{{=("+strings.TrimSuffix(strings.TrimPrefix(WhenExitOK, "{{="), "}}")+") ? 0 : 1}}") + `}}
        - {name: e2e_probe_retry_success, help: "creation time of the last success", labels: [{key: job, value: __NAME__}], when: ` + strconv.Quote(WhenExitOK) + `, gauge: {value: "{{workflow.creationTimestamp.s}}"}}
    templates:
      - name: main
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.exit}}"]
`

// TestRetryFormulation: why a successful `argo retry` or `argo resubmit` of a failed run leaves
// exit_code at 1 (argo-workflows #12123), and which formulation does not. When a run completes,
// the controller substitutes the name, help, labels and `when` of each workflow-level metric in
// place (computeMetrics, workflow/controller/operator.go), so the failed run's Workflow keeps
// `when: "true"` / `when: "false"`; retry reruns that object, resubmit copies its spec. A value
// is substituted on a copy: a gauge whose value is the expression follows the retried run.
func TestRetryFormulation(t *testing.T) {
	p := needPlane(t)
	ctx := context.Background()
	wfs := p.Argo.ArgoprojV1alpha1().Workflows(Namespace)
	probe := func(job string) map[string]string {
		t.Helper()
		body, err := p.Scrape()
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseExposition(body)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, n := range []string{"when", "value", "success"} {
			for _, s := range e.Select("argo_workflows_e2e_probe_retry_"+n, map[string]string{"job": job}) {
				out[n] = s.Text
			}
		}
		return out
	}
	check := func(what, job string, want map[string]string) {
		t.Helper()
		var got map[string]string
		err := poll(metricsTimeout, 200*time.Millisecond, what, func() (bool, error) {
			got = probe(job)
			return fmt.Sprint(got) == fmt.Sprint(want), nil
		})
		t.Logf("ROW %s | %s | when pair %q, value expression %q, success-only %q", p.ArgoVersion, what, got["when"], got["value"], got["success"])
		if err != nil {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	for _, action := range []string{"retry", "resubmit"} {
		name := "probe-" + action
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(p.render(name, retryProbe)), &obj); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Dynamic.Resource(cronGVR).Namespace(Namespace).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		j := &Job{t: t, p: p, Name: name}
		wf := p.WaitDone(t, j.Trigger(map[string]string{"exit": "1"}).Name)
		check(name+": a failed run", name, map[string]string{"when": "1", "value": "1"})
		stored, err := wfs.Get(ctx, wf.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var whens []string
		for _, m := range stored.Spec.Metrics.Prometheus {
			whens = append(whens, m.When)
		}
		t.Logf("%s: the failed run's stored when clauses: %q", name, whens)
		var done *wfv1.Workflow
		if action == "retry" {
			retried, pods, err := formulateRetry(ctx, p, stored, []string{"exit=0"})
			if err != nil {
				t.Fatal(err)
			}
			for _, pod := range pods {
				if err := p.Kube.CoreV1().Pods(Namespace).Delete(ctx, pod, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					t.Fatal(err)
				}
			}
			if _, err := wfs.Update(ctx, retried, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			done = p.WaitDone(t, wf.Name)
		} else {
			newWF, err := util.FormulateResubmitWorkflow(ctx, stored, false, []string{"exit=0"})
			if err != nil {
				t.Fatal(err)
			}
			sub, err := util.SubmitWorkflow(ctx, wfs, p.Argo, Namespace, newWF, nil, &wfv1.SubmitOpts{})
			if err != nil {
				t.Fatal(err)
			}
			done = p.WaitDone(t, sub.Name)
		}
		if done.Status.Phase != succeeded {
			t.Fatalf("%s: phase %s\n%s", name, done.Status.Phase, describe(done))
		}
		check(name+": then "+action+" Succeeded", name, map[string]string{"when": "1", "value": "0"})
		ok := j.Trigger(map[string]string{"exit": "0"})
		ok = p.WaitDone(t, ok.Name)
		check(name+": then a run from the CronWorkflow Succeeded", name, map[string]string{"when": "0", "value": "0", "success": FormatValue(float64(ok.CreationTimestamp.Unix()))})
	}
}

// formulateRetry is util.FormulateRetryWorkflow (v3.7.18) as the plane's controller version
// formulates it. v4.0.2's createNewRetryWorkflow leaves the retried run in phase Unknown (""), not
// Running, and does not set its phase label: its controller admits a workflow through its
// throttler only when the informer adds it, and a retried run set to Running right after its
// failure (v3.7's formulation, an argo CLI v3.7 in direct mode) can stay Running without a pod,
// "postponed due to max parallelism limit" with no limit set (seen here: TestRetryFormulation on
// v4.0.2).
func formulateRetry(ctx context.Context, p *Plane, wf *wfv1.Workflow, params []string) (*wfv1.Workflow, []string, error) {
	retried, pods, err := util.FormulateRetryWorkflow(ctx, wf, false, "", params)
	if err != nil || !strings.HasPrefix(p.ArgoVersion, "v4.") {
		return retried, pods, err
	}
	retried.Status.Phase = wfv1.WorkflowUnknown
	if v, ok := wf.Labels[common.LabelKeyPhase]; ok {
		retried.Labels[common.LabelKeyPhase] = v
	} else {
		delete(retried.Labels, common.LabelKeyPhase)
	}
	return retried, pods, nil
}
