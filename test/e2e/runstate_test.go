//go:build linux

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// What the controller really does with the two metric shapes issue 14 needs, measured before
// the recipe relies on them: a realtime gauge on {{workflow.duration}} (how long the current run
// has been running) and a consecutive-failure gauge (operation Add on failure, a plain set to 0
// on success, on one name and label set). The probe metrics are written by hand (not by the
// recipe) and carry only a `probe` label, so they are independent of what the injector emits.

// A CronWorkflow whose one pod stays Pending `pending` seconds, runs `sleep` seconds and exits
// `exit`, with the two probe metrics.
const probeJob = `apiVersion: argoproj.io/v1alpha1
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
        - {name: sleep, value: "0"}
        - {name: pending, value: "0"}
    metrics:
      prometheus:
        - name: probe_current_run_seconds
          help: "probe: realtime workflow.duration"
          labels: [{key: probe, value: __NAME__}]
          gauge: {realtime: true, value: "{{workflow.duration}}"}
        - name: probe_consecutive_failures
          help: "probe: consecutive failed runs"
          labels: [{key: probe, value: __NAME__}]
          when: "{{status}} != Succeeded"
          gauge: {operation: Add, value: "1"}
        - name: probe_consecutive_failures
          help: "probe: consecutive failed runs"
          labels: [{key: probe, value: __NAME__}]
          when: "{{status}} == Succeeded"
          gauge: {value: "0"}
    templates:
      - name: main
        metadata:
          annotations:
            e2e.argo-metrics-gen.io/pending-seconds: "{{workflow.parameters.pending}}"
        container:
          image: busybox
          command: [sh, -c, "sleep {{workflow.parameters.sleep}}; exit {{workflow.parameters.exit}}"]
`

const (
	probeRealtime    = metricPrefix + "probe_current_run_seconds"
	probeConsecutive = metricPrefix + "probe_consecutive_failures"
)

// probe is one probe CronWorkflow, created as written (not injected).
type probe struct {
	*Job
}

func newProbe(t *testing.T, p *Plane, name string) *probe {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(p.render(name, probeJob)), &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Dynamic.Resource(cronGVR).Namespace(Namespace).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating CronWorkflow %s: %v", name, err)
	}
	return &probe{&Job{t: t, p: p, Name: name}}
}

// value returns the probe series' value, ok false when the controller does not export it.
func (pr *probe) value(metric string) (float64, bool) {
	pr.t.Helper()
	body, err := pr.p.Scrape()
	if err != nil {
		pr.t.Fatal(err)
	}
	e, err := ParseExposition(body)
	if err != nil {
		pr.t.Fatal(err)
	}
	s := e.Select(metric, map[string]string{"probe": pr.Name})
	if len(s) == 0 {
		return 0, false
	}
	if len(s) > 1 {
		pr.t.Fatalf("%s{probe=%q}: %d series, want at most 1", metric, pr.Name, len(s))
	}
	return s[0].Value, true
}

func (pr *probe) get(name string) *wfv1.Workflow {
	wf, err := pr.p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		pr.t.Fatal(err)
	}
	return wf
}

// sample is one observation of the realtime series during a run.
type sample struct {
	at      time.Duration // since the run was created
	phase   wfv1.WorkflowPhase
	pod     string // phase of the run's pod node
	value   float64
	present bool
}

func (s sample) String() string {
	v := "absent"
	if s.present {
		v = fmt.Sprintf("%.1f", s.value)
	}
	return fmt.Sprintf("t=%4.1fs %-9s pod=%-9s -> %s", s.at.Seconds(), s.phase, s.pod, v)
}

// watch samples the realtime series every 500 ms until the run completes.
func (pr *probe) watch(wf *wfv1.Workflow) ([]sample, *wfv1.Workflow) {
	pr.t.Helper()
	var out []sample
	deadline := time.Now().Add(runTimeout)
	for time.Now().Before(deadline) {
		pr.p.checkAlive(pr.t)
		cur := pr.get(wf.Name)
		v, ok := pr.value(probeRealtime)
		pod := ""
		for _, n := range cur.Status.Nodes {
			if n.Type == wfv1.NodeTypePod {
				pod = string(n.Phase)
			}
		}
		out = append(out, sample{at: time.Since(wf.CreationTimestamp.Time), phase: cur.Status.Phase, pod: pod, value: v, present: ok})
		if cur.Status.Phase.Completed() {
			return out, cur
		}
		time.Sleep(500 * time.Millisecond)
	}
	pr.t.Fatalf("run %s did not complete in %s", wf.Name, runTimeout)
	return nil, nil
}

// ignoresSIGTERM: v4.0's controller traps SIGTERM (util/logging/init.go initSignalHandlers only
// flushes init logs) and keeps reconciling until SIGKILL; v3 exits at once.
func ignoresSIGTERM(version string) bool {
	return strings.HasPrefix(version, "v4.")
}

// runDuration is what {{workflow.duration}} says of a completed run.
func runDuration(wf *wfv1.Workflow) float64 {
	return wf.Status.FinishedAt.Sub(wf.Status.StartedAt.Time).Seconds()
}

// settled returns the series' value once it has stopped changing (two equal scrapes 1 s apart)
// or after 5 s, and whether it is exported.
func (pr *probe) settled(metric string) (float64, bool) {
	pr.t.Helper()
	prev, prevOK := pr.value(metric)
	for i := 0; i < 5; i++ {
		time.Sleep(time.Second)
		v, ok := pr.value(metric)
		if v == prev && ok == prevOK {
			return v, ok
		}
		prev, prevOK = v, ok
	}
	return prev, prevOK
}

func logSamples(t *testing.T, what string, ss []sample) {
	t.Helper()
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("\n    " + s.String())
	}
	t.Logf("%s:%s", what, b.String())
}

// TestRealtimeRunTime: the realtime gauge on {{workflow.duration}} at workflow level, through a
// run's life, the next run, the deletion of an earlier run, a controller restart and metricsTTL.
func TestRealtimeRunTime(t *testing.T) {
	p := needPlane(t)
	pr := newProbe(t, p, "rt-probe")
	const tolerance = 1.5 // seconds: scrape and status-update granularity

	// 1. Pending (pod unscheduled 3 s), running 4 s, succeeded.
	a := pr.Trigger(map[string]string{"pending": "3", "sleep": "4"})
	ss, a := pr.watch(a)
	logSamples(t, "run A (pending 3s, running 4s)", ss)
	var pendingSeen, runningGrowing bool
	last := -1.0
	for _, s := range ss {
		if s.pod == string(wfv1.NodePending) && s.present && s.value > 0 {
			pendingSeen = true
		}
		if s.phase == wfv1.WorkflowRunning && s.present {
			if last >= 0 && s.value > last {
				runningGrowing = true
			}
			last = s.value
		}
	}
	if !pendingSeen {
		t.Errorf("the realtime gauge was never > 0 while the pod was Pending")
	}
	if !runningGrowing {
		t.Errorf("the realtime gauge did not grow while the run was Running")
	}
	atEnd, ok := pr.settled(probeRealtime)
	if realtimeRemovedAtCompletion(p.ArgoVersion) {
		// v3.6 deletes the series when the run completes: nothing to freeze, reuse or collect.
		if ok {
			t.Errorf("Argo %s: the realtime series is still exported (%.1f) after run A completed", p.ArgoVersion, atEnd)
		}
		t.Logf("Argo %s: the realtime series is removed when the run completes", p.ArgoVersion)
		return
	}
	if !ok {
		t.Fatalf("the realtime series is gone once run A completed")
	}
	if atEnd != float64(int64(atEnd)) {
		t.Errorf("after run A: realtime gauge %v, want whole seconds (FinishedAt - StartedAt as stored)", atEnd)
	}
	if d := runDuration(a); atEnd < d-tolerance || atEnd > d+tolerance {
		t.Errorf("after run A: realtime gauge %.1f, want its duration %.1f", atEnd, d)
	}
	time.Sleep(3 * time.Second)
	after, ok := pr.value(probeRealtime)
	t.Logf("run A: duration %.1fs, gauge at completion %.1f, 3 s later %.1f (present %v)", runDuration(a), atEnd, after, ok)
	if !ok || after != atEnd {
		t.Errorf("3 s after run A completed the gauge says %.1f (present %v), want it frozen at %.1f", after, ok, atEnd)
	}

	// 2. The next run: does the series restart from 0 at once?
	b := pr.Trigger(map[string]string{"sleep": "3", "exit": "1"})
	ss, b = pr.watch(b)
	logSamples(t, "run B (running 3s, fails)", ss)
	if first := ss[0]; first.present && first.value > atEnd+tolerance {
		t.Errorf("run B's first sample %.1f is above run A's final %.1f", first.value, atEnd)
	}
	for _, s := range ss {
		if s.phase == wfv1.WorkflowRunning && s.present && s.value > s.at.Seconds()+tolerance {
			t.Errorf("while run B runs the gauge says %.1f, more than run B's age %.1fs: it still shows run A", s.value, s.at.Seconds())
		}
	}
	if v, _ := pr.settled(probeRealtime); v < runDuration(b)-tolerance || v > runDuration(b)+tolerance {
		t.Errorf("after run B: gauge %.1f, want its duration %.1f", v, runDuration(b))
	}

	// 3. An earlier run is deleted (as the CronWorkflow's history limits and TTLs do) while a
	// new one runs.
	c := pr.Trigger(map[string]string{"sleep": "6"})
	time.Sleep(2 * time.Second)
	for _, name := range []string{a.Name, b.Name} {
		if err := p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ss, c = pr.watch(c)
	logSamples(t, "run C (running 6s; runs A and B deleted at t=2s)", ss)
	absentWhileRunning := 0
	for _, s := range ss {
		if s.at > 3*time.Second && s.phase == wfv1.WorkflowRunning && !s.present {
			absentWhileRunning++
		}
	}
	t.Logf("run C: %d of %d samples absent while running after the earlier runs were deleted", absentWhileRunning, len(ss))
	vC, okC := pr.settled(probeRealtime)
	t.Logf("after run C: gauge %.1f (present %v), duration %.1f", vC, okC, runDuration(c))

	// 4. A controller restart while a run is running, then one after it completed. The run is
	// longer than the SIGTERM grace: v4 keeps reconciling until SIGKILL, so a shorter run is
	// completed by the old controller and the new one never sees it running.
	d := pr.Trigger(map[string]string{"sleep": "30"})
	time.Sleep(2 * time.Second)
	before, _ := pr.value(probeRealtime)
	restartAt := time.Now()
	if err := p.RestartController(""); err != nil {
		t.Fatal(err)
	}
	took := time.Since(restartAt)
	t.Logf("controller restart took %.1fs (SIGTERM, SIGKILL after %s)", took.Seconds(), stopGrace)
	if ignoresSIGTERM(p.ArgoVersion) != (took >= stopGrace) {
		t.Errorf("Argo %s: the controller restart took %.1fs with a SIGTERM grace of %s, but ignoresSIGTERM is %v: the controller changed (update README and ignoresSIGTERM)", p.ArgoVersion, took.Seconds(), stopGrace, ignoresSIGTERM(p.ArgoVersion))
	}
	ss, d = pr.watch(d)
	logSamples(t, fmt.Sprintf("run D (running 30s; controller restarted at t≈2s, gauge %.1f before)", before), ss)
	resumed := false
	for _, s := range ss {
		if s.phase == wfv1.WorkflowRunning && s.present && s.value > before {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("after the restart the running run D's gauge never came back above %.1f", before)
	}
	vD, okD := pr.settled(probeRealtime)
	if !okD || vD < runDuration(d)-tolerance || vD > runDuration(d)+tolerance {
		t.Errorf("after run D: gauge %.1f (present %v), want its duration %.1f", vD, okD, runDuration(d))
	}
	if err := p.RestartController(""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	vR, okR := pr.value(probeRealtime)
	t.Logf("restart after run D completed: gauge %.1f present %v", vR, okR)
	if okR {
		t.Errorf("after a restart with no run going, the realtime series is exported (%.1f): the controller rebuilt it from a completed run", vR)
	}

	// 5. metricsTTL shorter than a run.
	const ttl = 4 * time.Second
	if err := p.RestartController(fmt.Sprintf("metricsTTL: %s\n", ttl)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.RestartController(""); err != nil {
			t.Errorf("restoring the controller without metricsTTL: %v", err)
		}
	})
	// A first short run, so that the long one reuses a series a completed run left (on v3.6+
	// the value keeps that run's "completed" mark).
	p.WaitDone(t, pr.Trigger(map[string]string{"sleep": "1"}).Name)
	e := pr.Trigger(map[string]string{"sleep": "12"})
	ss, e = pr.watch(e)
	logSamples(t, fmt.Sprintf("run E (running 12s after a 1s run, metricsTTL %s)", ttl), ss)
	lost := 0
	for _, s := range ss {
		if s.phase == wfv1.WorkflowRunning && s.at > 2*time.Second && !s.present {
			lost++
		}
	}
	// v3.5 resets the "completed" mark when a run writes the series again, so a running run's
	// series is never collected. v3.7 and v4 keep the mark of the earlier run on the reused
	// series and collect it once the running run was not re-processed for a TTL (measured on
	// v3.7.18); v3.6 (and v3.4) collect every series, running or not (source).
	keeps := strings.HasPrefix(p.ArgoVersion, "v3.5.")
	t.Logf("under metricsTTL %s the running run's realtime series was absent in %d of %d samples (Argo %s)", ttl, lost, len(ss), p.ArgoVersion)
	if keeps && lost > 0 {
		t.Errorf("Argo %s: under metricsTTL the running run's realtime series was lost", p.ArgoVersion)
	}
	if !keeps && lost == 0 {
		t.Errorf("Argo %s: under metricsTTL %s a 12 s run's realtime series was never lost: the controller changed (update README and recipe)", p.ArgoVersion, ttl)
	}
	gone := time.Time{}
	for start := time.Now(); time.Since(start) < 4*ttl; time.Sleep(500 * time.Millisecond) {
		if _, ok := pr.value(probeRealtime); !ok {
			gone = time.Now()
			break
		}
	}
	if gone.IsZero() {
		t.Logf("under metricsTTL %s the completed run's realtime series is still exported %s after it completed", ttl, 4*ttl)
	} else {
		t.Logf("under metricsTTL %s the completed run's realtime series went away %.1fs after completion", ttl, gone.Sub(e.Status.FinishedAt.Time).Seconds())
	}
}

// TestConsecutiveFailures: the Add-on-failure / set-0-on-success pair on one series, through
// failures, a success, and a controller restart.
func TestConsecutiveFailures(t *testing.T) {
	p := needPlane(t)
	pr := newProbe(t, p, "cf-probe")
	step := func(exit string, want float64) {
		t.Helper()
		phase := succeeded
		if exit != "0" {
			phase = failed
		}
		wf := p.WaitDone(t, pr.Trigger(map[string]string{"exit": exit}).Name)
		if wf.Status.Phase != phase {
			t.Fatalf("run %s: %s, want %s\n%s", wf.Name, wf.Status.Phase, phase, describe(wf))
		}
		for _, c := range wf.Status.Conditions {
			if c.Type == wfv1.ConditionTypeMetricsError {
				t.Errorf("run %s: MetricsError: %s", wf.Name, c.Message)
			}
		}
		v, ok := pr.settled(probeConsecutive)
		t.Logf("run %s %s -> consecutive failures %v (present %v)", wf.Name, wf.Status.Phase, v, ok)
		if !ok || v != want {
			t.Errorf("after run %s (%s): consecutive failures %v (present %v), want %v", wf.Name, wf.Status.Phase, v, ok, want)
		}
	}
	step("1", 1)
	step("2", 2)
	step("1", 3)
	step("0", 0)
	step("0", 0)
	step("1", 1)
	step("1", 2)
	if err := p.RestartController(""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if v, ok := pr.value(probeConsecutive); ok {
		t.Errorf("after a restart the count is exported before any run (%v)", v)
	} else {
		t.Logf("after a restart: no consecutive-failure series until the next run")
	}
	step("1", 1) // the count restarts: the streak of 3 before the restart is forgotten
	step("0", 0)
}

// TestRunStateOptions: every run-state option on (examples/run-state/config.yaml), injected by
// the project's injector; after each run the model (consecutive_failures counts the failures
// since the last success, current_run_seconds > 0, the static gauges their values) and
// preview's prediction must match what the controller exports.
func TestRunStateOptions(t *testing.T) {
	p := needPlane(t)
	cfg, err := config.LoadFile("../../examples/run-state/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := NewJobWithConfig(t, p, "run-state", singlePodJob, cfg)
	j.Run(map[string]string{"exit": "1"}, failed)
	j.Run(map[string]string{"exit": "1"}, failed)
	j.Run(map[string]string{"exit": "0"}, succeeded)
	j.Run(map[string]string{"exit": "2"}, failed)
}
