//go:build linux

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	succeeded = wfv1.WorkflowSucceeded
	failed    = wfv1.WorkflowFailed
	errored   = wfv1.WorkflowError
)

// A single-pod CronWorkflow whose exit code is a parameter.
const singlePodJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE__
  concurrencyPolicy: Forbid
  workflowSpec:
    entrypoint: main
    arguments:
      parameters:
        - name: exit
          value: "0"
    templates:
      - name: main
        container:
          image: busybox
          command: [sh, -c, "echo working; exit {{workflow.parameters.exit}}"]
`

// TestSinglePod: fail -> succeed -> fail on one series.
func TestSinglePod(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "single-pod", singlePodJob)
	j.Run(map[string]string{"exit": "1"}, failed)
	j.Run(map[string]string{"exit": "0"}, succeeded)
	j.Run(map[string]string{"exit": "2"}, failed)
}

// Steps: a first step that works, a second whose exit code is a parameter.
const stepsJob = `apiVersion: argoproj.io/v1alpha1
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
        - name: exit
          value: "0"
    templates:
      - name: main
        steps:
          - - name: prepare
              template: run
              arguments:
                parameters: [{name: code, value: "0"}]
          - - name: load
              template: run
              arguments:
                parameters: [{name: code, value: "{{workflow.parameters.exit}}"}]
      - name: run
        inputs:
          parameters: [{name: code}]
        script:
          image: busybox
          command: [sh]
          source: |
            echo step
            exit {{inputs.parameters.code}}
`

// TestSteps: a steps workflow (no {{exitCode}} at workflow level) through fail -> succeed -> fail.
func TestSteps(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "steps", stepsJob)
	j.Run(map[string]string{"exit": "1"}, failed)
	j.Run(map[string]string{"exit": "0"}, succeeded)
	j.Run(map[string]string{"exit": "3"}, failed)
}

// DAG: extract -> transform (exit code a parameter), with report depending on both.
const dagJob = `apiVersion: argoproj.io/v1alpha1
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
        - name: exit
          value: "0"
    templates:
      - name: main
        dag:
          tasks:
            - name: extract
              template: run
              arguments:
                parameters: [{name: code, value: "0"}]
            - name: transform
              template: run
              depends: extract
              arguments:
                parameters: [{name: code, value: "{{workflow.parameters.exit}}"}]
            - name: report
              template: run
              depends: transform
              arguments:
                parameters: [{name: code, value: "0"}]
      - name: run
        inputs:
          parameters: [{name: code}]
        container:
          image: busybox
          command: [sh, -c, "exit {{inputs.parameters.code}}"]
`

// TestDAG: a DAG workflow through fail -> succeed -> fail.
func TestDAG(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "dag", dagJob)
	j.Run(map[string]string{"exit": "1"}, failed)
	j.Run(map[string]string{"exit": "0"}, succeeded)
	j.Run(map[string]string{"exit": "1"}, failed)
}

// Retries: the stand-in kubelet fails the first N attempts (a parameter) of the retried step.
const retryJob = `apiVersion: argoproj.io/v1alpha1
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
        - name: failing-attempts
          value: "0"
    templates:
      - name: main
        steps:
          - - name: fetch
              template: fetch
      - name: fetch
        metadata:
          annotations:
            e2e.argo-metrics-gen.io/fail-attempts: "{{workflow.parameters.failing-attempts}}"
        retryStrategy:
          limit: 2
          retryPolicy: Always
        container:
          image: busybox
          command: [sh, -c, "exit 0"]
`

// TestRetries: every attempt fails -> 1; the first attempt fails and a retry succeeds -> 0 (a
// failed attempt inside a Succeeded run must not count); then failing again -> 1.
func TestRetries(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "retries", retryJob)
	j.Run(map[string]string{"failing-attempts": "3"}, failed)
	wf := j.Run(map[string]string{"failing-attempts": "1"}, succeeded)
	if n := countPhase(wf, wfv1.NodeFailed); n != 1 {
		t.Fatalf("run %s: %d failed nodes, want the 1 failed first attempt\n%s", wf.Name, n, describe(wf))
	}
	j.Run(map[string]string{"failing-attempts": "3"}, failed)
}

func countPhase(wf *wfv1.Workflow, phase wfv1.NodePhase) int {
	n := 0
	for _, node := range wf.Status.Nodes {
		if node.Phase == phase {
			n++
		}
	}
	return n
}

// A job whose pod can fail in argoexec's wait container (the controller calls that an Error)
// and which can overrun a deadline.
const errorJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE__
  workflowSpec:
    entrypoint: main
__DEADLINE__
    arguments:
      parameters:
        - name: wait-exit
          value: "0"
        - name: sleep
          value: "0"
    templates:
      - name: main
        metadata:
          annotations:
            e2e.argo-metrics-gen.io/wait-exit-code: "{{workflow.parameters.wait-exit}}"
        container:
          image: busybox
          command: [sh, -c, "sleep {{workflow.parameters.sleep}}; exit 0"]
`

// TestErrorPhase: a run that ends Error (not Failed) counts as a failure; so does a run that
// exceeds the workflow's activeDeadlineSeconds.
func TestErrorPhase(t *testing.T) {
	p := needPlane(t)
	noDeadline := strings.Replace(errorJob, "__DEADLINE__\n", "", 1)
	withDeadline := strings.Replace(errorJob, "__DEADLINE__", "    activeDeadlineSeconds: 3", 1)
	j := NewJob(t, p, "error-phase", noDeadline)
	j.Run(map[string]string{"wait-exit": "2"}, errored)
	j.Run(nil, succeeded)
	j.Update(withDeadline)
	wf := j.Run(map[string]string{"sleep": "60"}, failed)
	t.Logf("deadline run %s: %s", wf.Name, wf.Status.Message)
	j.Run(nil, succeeded)
}

// An exit handler (a single container, the common "notify"/"publish" shape) that can fail
// while the body succeeds.
const exitHandlerJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE__
  workflowSpec:
    entrypoint: main
    onExit: publish
    arguments:
      parameters:
        - {name: body, value: "0"}
        - {name: handler, value: "0"}
    templates:
      - name: main
        steps:
          - - name: work
              template: work
      - name: work
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.body}}"]
      - name: publish
        container:
          image: busybox
          command: [sh, -c, "echo publishing; exit {{workflow.parameters.handler}}"]
`

// TestExitHandler: the run's final phase is what users see. When the body succeeds and the
// onExit handler fails, Argo ends the run Failed: exit_code must say 1 and last_success must
// not move. (With exit_code guarded by {{status}}, the seed recipe's formulation, the
// controller exports 0 here: see TestExitCodeFormulations for the formulation that works.)
// A handler with a retryStrategy whose first attempt fails and whose retry succeeds ends the
// run Succeeded: exit_code must say 0 (a clause that matches any "<run>.onExit..." node in
// workflow.failures reports 1 there).
func TestExitHandler(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "exit-handler", exitHandlerJob)
	t.Logf("injected exit_code entries:\n%s", j.ExitCodeEntries())
	j.Run(map[string]string{"body": "0", "handler": "0"}, succeeded)
	j.Run(map[string]string{"body": "0", "handler": "1"}, failed)
	j.Run(map[string]string{"body": "0", "handler": "0"}, succeeded)
	j.Run(map[string]string{"body": "1", "handler": "0"}, failed)

	// The handler's program succeeds; the stand-in kubelet fails its first N attempts.
	retried := strings.Replace(exitHandlerJob, `      - name: publish
        container:
          image: busybox
          command: [sh, -c, "echo publishing; exit {{workflow.parameters.handler}}"]`, `      - name: publish
        metadata:
          annotations: {e2e.argo-metrics-gen.io/fail-attempts: "{{workflow.parameters.handler}}"}
        retryStrategy: {limit: 2}
        container:
          image: busybox
          command: [sh, -c, "echo publishing"]`, 1)
	if retried == exitHandlerJob {
		t.Fatal("retried variant: template not found")
	}
	r := NewJob(t, p, "exit-handler-retried", retried)
	r.Run(map[string]string{"body": "1", "handler": "0"}, failed)
	wf := r.Run(map[string]string{"body": "0", "handler": "1"}, succeeded)
	if n := countPhase(wf, wfv1.NodeFailed); n != 1 {
		t.Fatalf("run %s: %d failed nodes, want the handler's failed first attempt\n%s", wf.Name, n, describe(wf))
	}
}

// Suspend steps and when-skipped steps and tasks.
const suspendJob = `apiVersion: argoproj.io/v1alpha1
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
        - {name: pause, value: "0"}
    templates:
      - name: main
        steps:
          - - name: approve
              template: approve
              when: "{{workflow.parameters.pause}} != 0"
          - - name: work
              template: work
            - name: optional
              template: work
              when: "{{workflow.parameters.exit}} == 42"
          - - name: fanout
              template: fanout
      - name: approve
        suspend:
          duration: "{{workflow.parameters.pause}}"
      - name: work
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.exit}}"]
      - name: fanout
        dag:
          tasks:
            - name: a
              template: noop
            - name: b
              template: noop
              when: "false"
              depends: a
      - name: noop
        container:
          image: busybox
          command: [sh, -c, "true"]
`

// TestSuspendAndWhen: a run paused on a suspend step changes nothing until it completes (the
// series keeps the last run's value while it waits); skipped steps and tasks do not count as
// failures.
func TestSuspendAndWhen(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "suspend-when", suspendJob)
	j.Run(map[string]string{"exit": "1"}, failed)

	wf := j.Trigger(map[string]string{"exit": "0", "pause": "4"})
	err := poll(runTimeout, 200*time.Millisecond, "run "+wf.Name+" to wait on its suspend step", func() (bool, error) {
		cur, err := p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Get(context.Background(), wf.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, n := range cur.Status.Nodes {
			if n.Type == wfv1.NodeTypeSuspend && n.Phase == wfv1.NodeRunning {
				return true, nil
			}
		}
		if cur.Status.Phase.Completed() {
			return false, fmt.Errorf("completed before suspending:\n%s", describe(cur))
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// While suspended the series still shows the previous (failed) run.
	got, _, err := j.Scraped()
	if err != nil {
		t.Fatal(err)
	}
	if want := j.Expected(); !equal(got, want) {
		t.Fatalf("while %s is suspended:\n want:\n  %s\n got:\n  %s", wf.Name, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
	done := p.WaitDone(t, wf.Name)
	j.Observe(done, succeeded)
	if n := countPhase(done, wfv1.NodeSkipped); n < 2 {
		t.Fatalf("run %s: %d skipped nodes, want the when-skipped step and task\n%s", done.Name, n, describe(done))
	}
	j.Run(map[string]string{"exit": "1"}, failed)
}

// TestTwoJobsOneNamespace: two CronWorkflows in one namespace are two series that move
// independently.
func TestTwoJobsOneNamespace(t *testing.T) {
	p := needPlane(t)
	a := NewJob(t, p, "nightly-a", singlePodJob)
	b := NewJob(t, p, "nightly-b", singlePodJob)
	a.Run(map[string]string{"exit": "1"}, failed)
	b.Run(map[string]string{"exit": "0"}, succeeded)
	a.CheckMetrics(a.lastRun) // a still failed after b's success
	a.Run(map[string]string{"exit": "0"}, succeeded)
	b.Run(map[string]string{"exit": "1"}, failed)
	a.CheckMetrics(a.lastRun)
}

// A job that already has metrics of its own, workflow-level and template-level.
const userMetricsJob = `apiVersion: argoproj.io/v1alpha1
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
        # the team's own metric: stays as it is, ours are appended
        - name: e2e_user_batch_size
          help: "Rows the job was configured for"
          labels:
            - {key: job, value: __NAME__}
          gauge:
            value: "42"
    templates:
      - name: main
        metrics:
          prometheus:
            - name: e2e_user_step_ok
              help: "1 if the main step succeeded"
              labels:
                - {key: job, value: __NAME__}
              when: "{{status}} == Succeeded"
              gauge:
                value: "1"
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.exit}}"]
`

// TestUserMetrics: a user's own metrics keep working next to ours, untouched by the injector.
func TestUserMetrics(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "user-metrics", userMetricsJob)
	if !strings.Contains(string(j.Raw), "# the team's own metric: stays as it is, ours are appended\n        - name: e2e_user_batch_size") {
		t.Fatalf("the user's metric was not kept as written:\n%s", j.Raw)
	}
	j.Run(map[string]string{"exit": "1"}, failed)
	j.checkUser(map[string]string{"argo_workflows_e2e_user_batch_size": "42"})
	j.Run(map[string]string{"exit": "0"}, succeeded)
	j.checkUser(map[string]string{"argo_workflows_e2e_user_batch_size": "42", "argo_workflows_e2e_user_step_ok": "1"})
}

// checkUser checks the job's user metrics (label job=NAME): exactly these names and values.
func (j *Job) checkUser(want map[string]string) {
	j.t.Helper()
	body, err := j.p.Scrape()
	if err != nil {
		j.t.Fatal(err)
	}
	e, err := ParseExposition(body)
	if err != nil {
		j.t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range e.WithLabel("job", j.Name) {
		got[s.Name] = s.Text
		if len(s.Labels) != 1 {
			j.t.Errorf("user metric line %q: want the single label job", s.Line)
		}
	}
	if !mapsEqual(got, want) {
		j.t.Fatalf("user metrics of %s: got %s, want %s", j.Name, formatMap(got), formatMap(want))
	}
}

// A job the controller's own cron scheduler runs every few seconds.
const scheduledJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
spec:
  __SCHEDULE(@every 3s)__
  concurrencyPolicy: Forbid
  suspend: __SUSPEND__
__WHEN__
  workflowSpec:
    entrypoint: main
    arguments:
      parameters:
        - {name: exit, value: "__EXIT__"}
    templates:
      - name: main
        container:
          image: busybox
          command: [sh, -c, "exit {{workflow.parameters.exit}}"]
`

func scheduled(exit, suspend, when string) string {
	return strings.NewReplacer("__EXIT__", exit, "__SUSPEND__", suspend, "__WHEN__\n", when).Replace(scheduledJob)
}

// TestScheduled: the real cron path. The controller schedules the runs itself (@every 3s):
// the job is broken, then fixed (the CronWorkflow is updated and re-injected); each time it is
// suspended once a run of the new spec completed, and the series is checked against all runs
// in the order they completed. A suspended job (or, from v3.6, one whose `when` is false)
// creates no run and leaves the series as it was.
func TestScheduled(t *testing.T) {
	p := needPlane(t)
	j := NewJob(t, p, "scheduled", scheduled("1", "false", ""))
	j.waitScheduled(failed)
	j.Update(scheduled("1", "true", ""))
	j.settle()
	j.Update(scheduled("0", "false", ""))
	j.waitScheduled(succeeded)
	j.Update(scheduled("0", "true", ""))
	j.settle()
	j.checkNoNewRuns(8 * time.Second)
	if !strings.HasPrefix(p.ArgoVersion, "v3.5.") {
		j.Update(scheduled("1", "false", "  when: \"{{= false }}\"\n"))
		j.checkNoNewRuns(8 * time.Second)
	}
}

// runsByFinish returns the job's runs created by the controller, in the order they finished.
func (j *Job) runsByFinish() []wfv1.Workflow {
	j.t.Helper()
	list, err := j.p.Argo.ArgoprojV1alpha1().Workflows(Namespace).List(context.Background(), metav1.ListOptions{
		LabelSelector: "workflows.argoproj.io/cron-workflow=" + j.Name})
	if err != nil {
		j.t.Fatal(err)
	}
	runs := list.Items
	sort.Slice(runs, func(a, b int) bool {
		if !runs[a].Status.FinishedAt.Equal(&runs[b].Status.FinishedAt) {
			return runs[a].Status.FinishedAt.Before(&runs[b].Status.FinishedAt)
		}
		return runs[a].Name < runs[b].Name
	})
	return runs
}

// waitScheduled waits until a run the controller scheduled completes with the given phase.
func (j *Job) waitScheduled(want wfv1.WorkflowPhase) {
	j.t.Helper()
	err := poll(runTimeout, 250*time.Millisecond, fmt.Sprintf("a scheduled %s run of %s", want, j.Name), func() (bool, error) {
		j.p.checkAlive(j.t)
		for _, r := range j.runsByFinish() {
			if !j.observed[r.Name] && r.Status.Phase == want {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		j.t.Fatal(err)
	}
}

// phaseOf is the phase a scheduled run must end in, from its exit parameter.
func phaseOf(wf *wfv1.Workflow) wfv1.WorkflowPhase {
	for _, p := range wf.Spec.Arguments.Parameters {
		if p.Name == "exit" && p.Value != nil && p.Value.String() == "0" {
			return succeeded
		}
	}
	return failed
}

// settle waits until no run is active (the job is suspended), records every run not seen yet
// in the order they completed, and checks the series once, after the last.
func (j *Job) settle() {
	j.t.Helper()
	err := poll(runTimeout, 250*time.Millisecond, "runs of "+j.Name+" to finish", func() (bool, error) {
		j.p.checkAlive(j.t)
		for _, r := range j.runsByFinish() {
			if !r.Status.Phase.Completed() {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		j.t.Fatal(err)
	}
	var last *wfv1.Workflow
	for _, r := range j.runsByFinish() {
		if j.observed[r.Name] {
			continue
		}
		r := r
		j.observed[r.Name] = true
		j.record(&r, phaseOf(&r))
		last = &r
	}
	if last == nil {
		j.t.Fatalf("%s: no new run to settle", j.Name)
	}
	j.CheckMetrics(last)
}

// checkNoNewRuns checks for a while that the controller creates no run and the series stays.
func (j *Job) checkNoNewRuns(d time.Duration) {
	j.t.Helper()
	before := len(j.runsByFinish())
	want := j.Expected()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		if n := len(j.runsByFinish()); n != before {
			j.t.Fatalf("%s: %d new run(s) while it should not run", j.Name, n-before)
		}
		got, _, err := j.Scraped()
		if err != nil {
			j.t.Fatal(err)
		}
		if !equal(got, want) {
			j.t.Fatalf("%s changed while not running:\n want:\n  %s\n got:\n  %s", j.Name, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
		}
	}
}

// TestMetricErrorsAreDetected: the harness's metric-error check catches what the controller
// refuses. A metric using {{exitCode}} on a steps workflow (seed 000's pitfall) is dropped with
// a MetricsError, while the injected metrics of the same run are still exported.
func TestMetricErrorsAreDetected(t *testing.T) {
	p := needPlane(t)
	src := strings.Replace(stepsJob, "    templates:\n", `    metrics:
      prometheus:
        - name: e2e_seed_exit_code
          help: "the seed's first try"
          labels: [{key: job, value: __NAME__}]
          gauge: {value: "{{exitCode}}"}
    templates:
`, 1)
	j := NewJob(t, p, "metric-error", src)
	wf := p.WaitDone(t, j.Trigger(map[string]string{"exit": "0"}).Name)
	j.record(wf, succeeded)
	problems, _ := j.metricProblems(wf)
	if len(problems) == 0 {
		t.Fatalf("run %s: no metric error detected for {{exitCode}} on a steps workflow\n%s", wf.Name, describe(wf))
	}
	found := false
	for _, pr := range problems {
		found = found || strings.Contains(pr, "exitCode")
	}
	if !found {
		t.Fatalf("metric errors do not name {{exitCode}}: %s", strings.Join(problems, "\n"))
	}
	t.Logf("detected: %s", problems[0])
	// Our own series are unaffected.
	got, _, err := j.Scraped()
	if err != nil {
		t.Fatal(err)
	}
	if want := j.Expected(); !equal(got, want) {
		t.Fatalf("want:\n  %s\ngot:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}
