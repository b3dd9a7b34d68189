//go:build linux

package e2e

// The CronWorkflows' state from the API server (issue 26): the real kube-state-metrics, run on
// the plane's API server with the configuration the chart renders, scraped by the real
// Prometheus next to the real controller and evaluating the chart's rules; the controller
// schedules every job itself.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

const (
	alertStale     = "ArgoCronWorkflowNotSucceededWithinThreshold"
	alertMissed    = "ArgoCronWorkflowMissedSchedule"
	alertSuspended = "ArgoCronWorkflowSuspended"
	alertSpecError = "ArgoCronWorkflowSpecError"
	// stateThreshold is the jobs' staleness threshold (seconds, the annotation override): five
	// of their 4-second gaps. v4.0.2's scheduler, re-armed at each update of the CronWorkflow and
	// skipping a tick under Forbid while status.active lags, leaves gaps of 11 s on this host,
	// which with kube-state-metrics' scrape delay passed a threshold of 12 s.
	stateThreshold = 20
	// stateSuspendedAfter is alerts.suspended.after in this test.
	stateSuspendedAfter = 6 * time.Second
)

// stateJob is scheduled every 4 s by the controller and succeeds in about a second; its
// threshold is stateThreshold. __EXTRA__ is replaced by spec lines (stopStrategy, timezone),
// __MAIN__ by the entry template's steps or container.
const stateJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
  annotations:
    argo-metrics-gen.io/staleness-threshold-seconds: "20"
spec:
  __SCHEDULE(@every 4s)__
  concurrencyPolicy: Forbid
__EXTRA__  workflowSpec:
    entrypoint: main
    templates:
      - name: main
__MAIN__`

const stateContainer = `        container:
          image: busybox
          command: [sh, -c, "exit 0"]
`

// specTemplate is the WorkflowTemplate the spec-error job's step refers to.
const specTemplate = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: state-spec-steps
  namespace: e2e
spec:
  templates:
    - name: work
      container:
        image: busybox
        command: [sh, -c, "exit 0"]
`

func stateSource(extra, main string) string {
	return strings.NewReplacer("__EXTRA__", extra, "__MAIN__", main).Replace(stateJob)
}

// StartKSM starts kube-state-metrics (log: <name>.log) on the plane's API server with the custom
// resource state configuration config, only, for the test namespace, and returns the URL of its
// metrics once it serves the CronWorkflow families (it discovers CRDs every 3 s). It is stopped
// when the test ends.
func (p *Plane) StartKSM(t *testing.T, name, config string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.start(name, nil, os.Getenv(envKSM),
		"--kubeconfig="+p.kubeconfig,
		"--custom-resource-state-only",
		"--custom-resource-state-config-file="+cfg,
		"--namespaces="+Namespace,
		"--host=127.0.0.1", fmt.Sprintf("--port=%d", ports[0]),
		"--telemetry-host=127.0.0.1", fmt.Sprintf("--telemetry-port=%d", ports[1]),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- last lines of %s ----\n%s", name, tail(pr.logPath, 40))
		}
		if err := pr.stop(stopGrace); err != nil {
			t.Error(err)
		}
	})
	u := fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0])
	// Serving, and its CronWorkflow store active (it logs so once discovery found the CRD; an
	// empty store exports nothing to look for).
	if err := poll(60*time.Second, 250*time.Millisecond, name+" serving, its CronWorkflow store active", func() (bool, error) {
		if done, err := pr.exited(); done {
			return false, fmt.Errorf("%s exited: %v\n%s", name, err, tail(pr.logPath, 30))
		}
		if _, err := httpGet(u); err != nil {
			return false, err
		}
		b, err := os.ReadFile(pr.logPath)
		return err == nil && strings.Contains(string(b), `activeStoreNames="argoproj.io/v1alpha1, Resource=cronworkflows"`), err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

func httpGet(u string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(b), err
}

// stateChartValues: promChartValues, the kube-state-metrics ConfigMap rendered (its config is
// what the test runs), jobs reported when suspended for stateSuspendedAfter.
func stateChartValues() map[string]any {
	v := promChartValues(true)
	v["kubeStateMetrics"] = map[string]any{"configMap": map[string]any{"create": true}}
	v["alerts"] = map[string]any{"suspended": map[string]any{"after": fmt.Sprintf("%ds", int(stateSuspendedAfter.Seconds()))}}
	return v
}

// ksmConfig renders the chart with vals and returns its kube-state-metrics configuration.
func ksmConfig(t *testing.T, vals map[string]any) string {
	t.Helper()
	res, err := chart.Render(filepath.Join("..", "..", chart.Dir), vals, chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.OfKind("ConfigMap") {
		if strings.HasSuffix(o.Name, "-kube-state-metrics") {
			c, err := chart.Path(o.Body, "data", "config.yaml")
			if err != nil {
				t.Fatal(err)
			}
			return c.(string)
		}
	}
	t.Fatal("the chart rendered no kube-state-metrics ConfigMap")
	return ""
}

// alertLog samples every active alert every 250 ms until stopped.
type alertLog struct {
	mu      sync.Mutex
	samples []alertSample
	errs    []string
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func (prom *Prometheus) logAlerts() *alertLog {
	l := &alertLog{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			var data struct {
				Alerts []promAlert `json:"alerts"`
			}
			err := prom.api("/api/v1/alerts", nil, &data)
			l.mu.Lock()
			if err != nil {
				l.errs = append(l.errs, err.Error())
			} else {
				l.samples = append(l.samples, alertSample{at: time.Now(), alerts: data.Alerts})
			}
			l.mu.Unlock()
			select {
			case <-l.stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return l
}

func (l *alertLog) Stop() {
	l.once.Do(func() { close(l.stop) })
	<-l.done
}

// of returns the instances of alert for job in a sample.
func (s alertSample) of(alert, job string) []promAlert {
	var out []promAlert
	for _, a := range s.alerts {
		if a.Labels["alertname"] == alert && a.Labels["cronworkflow"] == job {
			out = append(out, a)
		}
	}
	return out
}

// firing waits (bounded by d) until alert fires for job and returns the instance.
func (l *alertLog) firing(t *testing.T, alert, job string, d time.Duration) promAlert {
	t.Helper()
	var a promAlert
	if err := poll(d, 100*time.Millisecond, alert+" firing for "+job, func() (bool, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if n := len(l.samples); n > 0 {
			for _, x := range l.samples[n-1].of(alert, job) {
				if x.State == "firing" {
					a = x
					return true, nil
				}
			}
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// resolved waits (bounded by d) until alert has no instance for job and returns when.
func (l *alertLog) resolved(t *testing.T, alert, job string, d time.Duration) time.Time {
	t.Helper()
	var at time.Time
	if err := poll(d, 100*time.Millisecond, alert+" resolved for "+job, func() (bool, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		n := len(l.samples)
		if n > 0 && len(l.samples[n-1].of(alert, job)) == 0 {
			at = l.samples[n-1].at
			return true, nil
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	return at
}

// activeBetween returns the samples in [from, to) in which alert is active for job.
func (l *alertLog) activeBetween(alert, job string, from, to time.Time) []alertSample {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []alertSample
	for _, s := range l.samples {
		if !s.at.Before(from) && s.at.Before(to) && len(s.of(alert, job)) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// neverActive fails the test when alert was active for job in any sample of [from, to), and
// shows what the state series were around the first such sample.
func (l *alertLog) neverActive(t *testing.T, prom *Prometheus, alert, job string, from, to time.Time, why string) {
	t.Helper()
	bad := l.activeBetween(alert, job, from, to)
	if len(bad) == 0 {
		return
	}
	var first promAlert
	for _, a := range bad[0].of(alert, job) {
		first = a
	}
	t.Errorf("%s active for %s in %d samples (%s): first at %s, active since %s", alert, job, len(bad), why, bad[0].at.Format(time.StampMilli), first.ActiveAt.Format(time.StampMilli))
	for _, q := range []string{"argo_cronworkflow_suspended", `argo_cronworkflow_phase{phase="Stopped"}`, "argo_cronworkflow_last_scheduled_time_seconds",
		"cronworkflow:argo_cronworkflow_suspended:max", "cronworkflow:argo_cronworkflow_stopped:max", "cronworkflow:argo_cronworkflow_staleness_threshold_seconds:max",
		"cronworkflow:argo_cronworkflow_last_scheduled_time_seconds:or_created", "cronworkflow:argo_cronworkflow_paused:last_timestamp", `up{job="kube-state-metrics"}`} {
		sel := q
		if !strings.HasPrefix(q, "up{") {
			if i := strings.Index(q, "{"); i >= 0 {
				sel = q[:i+1] + fmt.Sprintf("cronworkflow=%q,", job) + q[i+1:]
			} else {
				sel = fmt.Sprintf("%s{cronworkflow=%q}", q, job)
			}
		}
		var out []string
		for _, d := range []time.Duration{-6 * time.Second, -4 * time.Second, -2 * time.Second, 0, 2 * time.Second} {
			at := first.ActiveAt.Add(d)
			var data struct {
				Result []promSample `json:"result"`
			}
			if err := prom.api("/api/v1/query", url.Values{"query": {sel}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}, &data); err != nil {
				out = append(out, err.Error())
				continue
			}
			var vals []string
			for _, r := range data.Result {
				vals = append(vals, fmt.Sprint(r.Value[1]))
			}
			out = append(out, fmt.Sprintf("%+.0fs:%v", d.Seconds(), vals))
		}
		t.Logf("  %s: %s", sel, strings.Join(out, " "))
	}
}

// createInjected injects src (placeholders filled) with the default configuration, applies
// edit to the injected YAML, and creates the object: a CronWorkflow applied by a tool that
// does not validate it after injection (kubectl edit, a later patch).
func createInjected(t *testing.T, p *Plane, name, src string, edit func(string) string) {
	t.Helper()
	out := edit(string(injectYAML(t, config.Default(), p.render(name, src))))
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Dynamic.Resource(cronGVR).Namespace(Namespace).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
}

func (p *Plane) createWorkflowTemplate(t *testing.T, src string) {
	t.Helper()
	var wft wfv1.WorkflowTemplate
	if err := yaml.Unmarshal([]byte(src), &wft); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Argo.ArgoprojV1alpha1().WorkflowTemplates(Namespace).Create(context.Background(), &wft, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setSuspend sets spec.suspend as `argo cron suspend` and `argo cron resume` do (argo-server
// gets the CronWorkflow, sets the field, updates it).
func (p *Plane) setSuspend(t *testing.T, name string, suspend bool) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"suspend":%v}}`, suspend)
	if _, err := p.Argo.ArgoprojV1alpha1().CronWorkflows(Namespace).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// cronStatus returns a CronWorkflow's status.
func (p *Plane) cronStatus(t *testing.T, name string) wfv1.CronWorkflowStatus {
	t.Helper()
	c, err := p.Argo.ArgoprojV1alpha1().CronWorkflows(Namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

// succeededRuns counts a job's runs that succeeded.
func (p *Plane) succeededRuns(t *testing.T, job string) int {
	t.Helper()
	list, err := p.Argo.ArgoprojV1alpha1().Workflows(Namespace).List(context.Background(), metav1.ListOptions{LabelSelector: "workflows.argoproj.io/cron-workflow=" + job})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range list.Items {
		if w.Status.Phase == wfv1.WorkflowSucceeded {
			n++
		}
	}
	return n
}

// waitSucceeded waits until job has at least n successful runs.
func (p *Plane) waitSucceeded(t *testing.T, job string, n int) {
	t.Helper()
	if err := poll(runTimeout, 250*time.Millisecond, fmt.Sprintf("%d successful runs of %s", n, job), func() (bool, error) {
		p.checkAlive(t)
		return p.succeededRuns(t, job) >= n, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStateAlerts: the state alerts on the real controller, kube-state-metrics and Prometheus.
// Five jobs run on the controller's own schedule (every 4 s, threshold 20 s):
//   - state-suspend is suspended once it ran: the suspended series appears, its not-succeeded
//     and missed-schedule alerts stay silent though its last success is older than its threshold
//     (checked in Prometheus), ArgoCronWorkflowSuspended fires after alerts.suspended.after (6 s);
//     resumed, it runs again and stays quiet;
//   - state-stop (v3.6+) stops itself after 2 successes (stopStrategy): phase Stopped, quiet;
//   - state-tz is applied with an unknown spec.timezone (after injection, which refuses it): the
//     controller never starts it, and sets no condition on any version (the log says why):
//     missed schedule a threshold after its creation;
//   - state-spec's step refers to a WorkflowTemplate that is deleted once it ran: the controller
//     sets SpecError with its message, the alert carries it; re-created, the condition clears;
//   - then the controller is stopped for longer than a threshold: missed schedule fires for the
//     scheduled jobs, and resolves once the restarted controller starts them again.
func TestStateAlerts(t *testing.T) {
	p := needPlane(t)
	stops := !strings.HasPrefix(p.ArgoVersion, "v3.5.")
	vals := stateChartValues()
	ksmURL := p.StartKSM(t, "kube-state-metrics", ksmConfig(t, vals))
	prom := p.startPrometheus(t, "prometheus-state", filepath.Join("..", "..", chart.Dir), vals, ksmURL)
	log := prom.logAlerts()
	t.Cleanup(log.Stop)
	start := time.Now()
	const (
		suspend, stop, tz, spec = "state-suspend", "state-stop", "state-tz", "state-spec"
	)
	p.createWorkflowTemplate(t, specTemplate)
	NewJob(t, p, suspend, stateSource("", stateContainer))
	if stops {
		NewJob(t, p, stop, stateSource("  stopStrategy:\n    expression: \"cronworkflow.succeeded >= 2\"\n", stateContainer))
	}
	createInjected(t, p, tz, stateSource("  timezone: Europe/London\n", stateContainer), func(s string) string {
		return strings.Replace(s, "timezone: Europe/London", "timezone: Europe/Londn", 1)
	})
	tzCreated := time.Now()
	NewJob(t, p, spec, stateSource("", "        steps:\n          - - name: work\n              templateRef: {name: state-spec-steps, template: work}\n"))

	// Each job has run (state-stop twice, and stopped).
	p.waitSucceeded(t, suspend, 1)
	p.waitSucceeded(t, spec, 1)
	if stops {
		if err := poll(runTimeout, 250*time.Millisecond, stop+" stopped", func() (bool, error) {
			return p.cronStatus(t, stop).Phase == wfv1.StoppedPhase, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	// Suspend state-suspend; delete the template state-spec refers to.
	p.setSuspend(t, suspend, true)
	suspendedAt := time.Now()
	if err := p.Argo.ArgoprojV1alpha1().WorkflowTemplates(Namespace).Delete(context.Background(), "state-spec-steps", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deletedAt := time.Now()
	valueIs := func(q, v string) {
		t.Helper()
		prom.wait(fmt.Sprintf("%s == %s", q, v), func() (bool, error) {
			r, err := prom.query(q)
			return err == nil && len(r) == 1 && r[0].Value[1] == v, err
		})
	}
	valueIs(fmt.Sprintf(`argo_cronworkflow_suspended{cronworkflow=%q}`, suspend), "1")
	t.Logf("%s: suspended series 1 in Prometheus %.1fs after the suspension", suspend, time.Since(suspendedAt).Seconds())
	// Quiet from two evaluations after Prometheus has the state on. Before it, the jobs' alerts
	// may fire on their own: the controller re-arms an @every schedule at each update of the
	// CronWorkflow and Forbid skips a tick while status.active lags, so gaps near a 12 s
	// threshold happen.
	prom.evaluatedAfter(time.Now(), 2)
	suspendQuiet := time.Now()
	stopQuiet := suspendQuiet
	if stops {
		valueIs(fmt.Sprintf(`argo_cronworkflow_phase{cronworkflow=%q,phase="Stopped"}`, stop), "1")
		prom.evaluatedAfter(time.Now(), 2)
		stopQuiet = time.Now()
	}

	// SpecError with the controller's message.
	se := log.firing(t, alertSpecError, spec, 60*time.Second)
	if se.Labels["type"] != "SpecError" || !strings.Contains(se.Labels["message"], "state-spec-steps") {
		t.Errorf("%s labels %v: want type SpecError and the controller's message naming the missing template", alertSpecError, se.Labels)
	}
	t.Logf("%s for %s: active %.1fs after the template was deleted, message %q", alertSpecError, spec, se.ActiveAt.Sub(deletedAt).Seconds(), se.Labels["message"])

	// Suspended longer than 6 s: reported.
	su := log.firing(t, alertSuspended, suspend, 60*time.Second)
	if d := su.ActiveAt.Sub(suspendedAt); d < -2*promInterval {
		t.Errorf("%s active since %s, before the suspension %s", alertSuspended, su.ActiveAt, suspendedAt)
	}
	t.Logf("%s for %s: active %.1fs after the suspension, firing after %s", alertSuspended, suspend, su.ActiveAt.Sub(suspendedAt).Seconds(), stateSuspendedAfter)

	// The not-succeeded condition itself holds for the suspended (and the stopped) job: without
	// kube-state-metrics its alert would fire now.
	staleQ := func(job string) string {
		return fmt.Sprintf(`time() - cronworkflow:argo_workflows_last_success_timestamp:leader{cronworkflow=%q} > cronworkflow:argo_workflows_staleness_threshold_seconds:leader`, job)
	}
	quietJobs := []string{suspend}
	if stops {
		quietJobs = append(quietJobs, stop)
	}
	for _, j := range quietJobs {
		prom.wait(j+": last success older than its threshold", func() (bool, error) {
			r, err := prom.query(staleQ(j))
			return err == nil && len(r) == 1, err
		})
	}
	prom.evaluatedAfter(time.Now(), 3)
	staleAt := time.Now()

	// The unknown timezone: missed schedule a threshold after the creation; no condition.
	mz := log.firing(t, alertMissed, tz, 60*time.Second)
	t.Logf("%s for %s: active %.1fs after its creation (threshold %d s)", alertMissed, tz, mz.ActiveAt.Sub(tzCreated).Seconds(), stateThreshold)
	if d := mz.ActiveAt.Sub(tzCreated); d < (stateThreshold-1)*time.Second {
		t.Errorf("%s for %s active %.1fs after the creation, before its threshold", alertMissed, tz, d.Seconds())
	}
	if st := p.cronStatus(t, tz); len(st.Conditions) != 0 || st.LastScheduledTime != nil {
		t.Errorf("%s: status %+v, want no condition (the controller does not record why it cannot schedule it) and no run", tz, st)
	}
	why := ""
	for _, l := range strings.Split(p.ControllerLog(), "\n") {
		if strings.Contains(l, tz) && (strings.Contains(l, "invalid cron workflow") || strings.Contains(l, "could not schedule CronWorkflow")) {
			why = l
			break
		}
	}
	if why == "" {
		t.Errorf("%s: the controller logged neither `invalid cron workflow` nor `could not schedule CronWorkflow` for it", tz)
	}
	t.Logf("%s: controller log: %s", tz, why)

	// The template comes back: the condition clears at the job's next run.
	p.createWorkflowTemplate(t, specTemplate)
	backAt := time.Now()
	seResolved := log.resolved(t, alertSpecError, spec, 60*time.Second)
	t.Logf("%s for %s resolved %.1fs after the template came back", alertSpecError, spec, seResolved.Sub(backAt).Seconds())

	// Resumed: runs again, quiet.
	runsBefore := p.succeededRuns(t, suspend)
	p.setSuspend(t, suspend, false)
	resumedAt := time.Now()
	suResolved := log.resolved(t, alertSuspended, suspend, 30*time.Second)
	p.waitSucceeded(t, suspend, runsBefore+1)
	t.Logf("%s resolved %.1fs after the resume; a run succeeded %.1fs after it", alertSuspended, suResolved.Sub(resumedAt).Seconds(), time.Since(resumedAt).Seconds())
	time.Sleep(2 * time.Second)
	prom.evaluatedAfter(time.Now(), 2)

	// The controller stops for longer than a threshold: missed schedule for the scheduled jobs.
	if err := p.ctrl.stop(stopGrace); err != nil {
		t.Fatal(err)
	}
	ctrlStopped := time.Now()
	mm := log.firing(t, alertMissed, suspend, 60*time.Second)
	last := p.cronStatus(t, suspend).LastScheduledTime
	t.Logf("%s for %s: active %.1fs after the controller stopped, %.1fs after its last scheduled run", alertMissed, suspend, mm.ActiveAt.Sub(ctrlStopped).Seconds(), mm.ActiveAt.Sub(last.Time).Seconds())
	if d := mm.ActiveAt.Sub(last.Time); d < stateThreshold*time.Second {
		t.Errorf("%s for %s active %.1fs after its last scheduled run, within its threshold", alertMissed, suspend, d.Seconds())
	}
	if err := p.startController(); err != nil {
		t.Fatal(err)
	}
	prom.setTarget()
	restarted := time.Now()
	mmResolved := log.resolved(t, alertMissed, suspend, 60*time.Second)
	t.Logf("%s for %s resolved %.1fs after the controller came back", alertMissed, suspend, mmResolved.Sub(restarted).Seconds())
	prom.evaluatedAfter(time.Now(), 2)
	log.Stop()

	// Over every sample: the suspended job quiet from its suspension until the controller
	// stopped, the stopped one from its stop on, the unknown timezone never a spec error.
	log.neverActive(t, prom, alertStale, suspend, suspendQuiet, ctrlStopped, "suspended, then resumed")
	log.neverActive(t, prom, alertMissed, suspend, suspendQuiet, ctrlStopped, "suspended, then resumed")
	if stops {
		log.neverActive(t, prom, alertStale, stop, stopQuiet, time.Now(), "stopped by its stopStrategy")
		log.neverActive(t, prom, alertMissed, stop, stopQuiet, time.Now(), "stopped by its stopStrategy")
	}
	log.neverActive(t, prom, alertSpecError, tz, start, time.Now(), "no condition is set")
	if len(log.activeBetween(alertSuspended, suspend, start, suspendedAt)) > 0 {
		t.Errorf("%s active before the suspension", alertSuspended)
	}
	if len(log.errs) > 0 {
		t.Errorf("%d /api/v1/alerts requests failed, first: %s", len(log.errs), log.errs[0])
	}
	t.Logf("last success of the quiet jobs older than their threshold from %s on; %d alert samples over %.0fs",
		staleAt.Format(time.StampMilli), len(log.samples), time.Since(start).Seconds())
}

// TestStateSeriesCarryJobLabels: kube-state-metrics, with the configuration the chart renders
// for a recipe with an owner label (spec.labels.fromResource team), labels each CronWorkflow's
// state series with the value argo-metrics-gen wrote into that job's metrics: copied from the
// resource's label, its default without one, the labels annotation's override. So the state
// alerts carry the owner labels the controller's do and route alike.
func TestStateSeriesCarryJobLabels(t *testing.T) {
	p := needPlane(t)
	values := []byte("argoMetricsConfig:\n  spec:\n    labels:\n      fromResource:\n        team: {label: example.com/team, default: platform}\n")
	cfg, err := config.Parse(values)
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string]any
	if err := yaml.Unmarshal(values, &vals); err != nil {
		t.Fatal(err)
	}
	for k, v := range stateChartValues() {
		vals[k] = v
	}
	ksmURL := p.StartKSM(t, "kube-state-metrics-labels", ksmConfig(t, vals))
	jobs := []struct{ name, labels, annotations, team string }{
		{"labels-copied", "  labels: {example.com/team: payments}\n", "", "payments"},
		{"labels-default", "", "", "platform"},
		{"labels-annotation", "  labels: {example.com/team: payments}\n", "    argo-metrics-gen.io/labels: team=billing\n", "billing"},
	}
	for _, j := range jobs {
		src := strings.NewReplacer("  namespace: e2e\n", "  namespace: e2e\n"+j.labels, "  annotations:\n", "  annotations:\n"+j.annotations).Replace(stateSource("", stateContainer))
		out := injectYAML(t, cfg, p.render(j.name, src))
		var obj map[string]any
		if err := yaml.Unmarshal(out, &obj); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Dynamic.Resource(cronGVR).Namespace(Namespace).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s: %v", j.name, err)
		}
	}
	for _, j := range jobs {
		want := fmt.Sprintf(`argo_cronworkflow_suspended{cronworkflow=%q,`, j.name)
		var line string
		if err := poll(60*time.Second, 250*time.Millisecond, j.name+" exported by kube-state-metrics", func() (bool, error) {
			body, err := httpGet(ksmURL)
			for _, l := range strings.Split(body, "\n") {
				if strings.HasPrefix(l, want) || strings.HasPrefix(l, "argo_cronworkflow_suspended{") && strings.Contains(l, fmt.Sprintf(`cronworkflow=%q`, j.name)) {
					line = l
				}
			}
			return line != "", err
		}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(line, fmt.Sprintf(`team=%q`, j.team)) {
			t.Errorf("%s: kube-state-metrics exports %s, want team=%q as the job's metrics carry it", j.name, line, j.team)
		}
	}
}
