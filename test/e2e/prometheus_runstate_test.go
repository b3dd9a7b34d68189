//go:build linux

package e2e

// The chart's run-state alerts (issue 14) on a real Prometheus server scraping the real
// controller: the chart is rendered with the run-state configuration in its values
// (argoMetricsConfig: examples/run-state/config.yaml) and the job sets small limits of its own
// through the annotations the injector reads.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

const (
	alertTooLong = "ArgoCronWorkflowRunningTooLong"
	alertStreak  = "ArgoCronWorkflowConsecutiveFailures"
	// runStateLimit is the job's max-run-seconds: short, so that a hanging run passes it soon.
	runStateLimit = 8
)

// runStatePromJob runs `sleep` seconds and exits `exit`. Its limit is runStateLimit (%d), its
// run-time factor so large that the limit is always the lower threshold, and it alerts after 2
// failed runs in a row.
const runStatePromJob = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: __NAME__
  namespace: e2e
  annotations:
    argo-metrics-gen.io/max-run-seconds: "%d"
    argo-metrics-gen.io/run-time-factor: "1000"
    argo-metrics-gen.io/consecutive-failures: "2"
spec:
  __SCHEDULE__
  concurrencyPolicy: Forbid
  workflowSpec:
    entrypoint: main
    arguments:
      parameters:
        - {name: exit, value: "0"}
        - {name: sleep, value: "0"}
    templates:
      - name: main
        container:
          image: busybox
          command: [sh, -c, "sleep {{workflow.parameters.sleep}}; exit {{workflow.parameters.exit}}"]
`

// runStateValues are the chart's values with the configuration of file as argoMetricsConfig.
func runStateValues(t *testing.T, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	vals := promChartValues(true)
	vals["argoMetricsConfig"] = cfg
	return vals
}

// ruleNames returns the names of the rules the server loaded.
func (prom *Prometheus) ruleNames() (map[string]bool, error) {
	var data struct {
		Groups []struct {
			Rules []struct {
				Name string `json:"name"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := prom.api("/api/v1/rules", nil, &data); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out[r.Name] = true
		}
	}
	return out, nil
}

// TestPrometheusRunStateAlerts: on a real Prometheus evaluating the chart rendered with the
// run-state recipe, (1) a run that hangs past its limit fires the running-too-long alert, not
// before the limit, and it resolves when the run ends; (2) one failed run does not fire the
// consecutive-failures alert, the second does, and it stays firing (one instance, one activeAt)
// across a controller restart, which forgets the count, and a failure on the new controller
// (count 1), until a run succeeds.
func TestPrometheusRunStateAlerts(t *testing.T) {
	p := needPlane(t)
	const name = "prom-run-state"
	cfg, err := config.LoadFile("../../examples/run-state/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prom := p.StartPrometheus(t, "prometheus-run-state", filepath.Join("..", "..", chart.Dir), runStateValues(t, "../../examples/run-state/config.yaml"))
	loaded, err := prom.ruleNames()
	if err != nil {
		t.Fatal(err)
	}
	if !loaded[alertTooLong] || !loaded[alertStreak] {
		t.Fatalf("the run-state chart's rules lack %s or %s: %v", alertTooLong, alertStreak, loaded)
	}
	j := NewJobWithConfig(t, p, name, fmt.Sprintf(runStatePromJob, runStateLimit), cfg)
	m := cfg.Spec.Metrics
	recorded := func(metric config.Metric) string {
		return fmt.Sprintf(`cronworkflow:%s%s:leader{cronworkflow=%q}`, metricPrefix, metric.Name, name)
	}
	raw := func(metric config.Metric) string {
		return fmt.Sprintf(`%s%s{cronworkflow=%q}`, metricPrefix, metric.Name, name)
	}
	valueIs := func(q, v string) {
		t.Helper()
		prom.wait(fmt.Sprintf("%s == %s", q, v), func() (bool, error) {
			r, err := prom.query(q)
			return err == nil && len(r) == 1 && r[0].Value[1] == v, err
		})
	}
	// firing waits for one firing instance of w's alert and returns it.
	firing := func(w *alertWatch, alert string) promAlert {
		t.Helper()
		var a promAlert
		prom.wait(alert+" firing for "+name, func() (bool, error) {
			s := w.latest(t, time.Now())
			if len(s.alerts) == 1 && s.alerts[0].State == "firing" {
				a = s.alerts[0]
				return true, nil
			}
			return false, nil
		})
		return a
	}
	resolved := func(w *alertWatch, alert string) time.Time {
		t.Helper()
		prom.wait(alert+" resolved for "+name, func() (bool, error) {
			return len(w.latest(t, time.Now()).alerts) == 0, nil
		})
		return time.Now()
	}
	tooLong, streak := prom.watchAlert(alertTooLong, name), prom.watchAlert(alertStreak, name)
	t.Cleanup(func() { tooLong.Stop(); streak.Stop() })

	// A short successful run: the limits are written at completion; no alert.
	j.Run(map[string]string{"exit": "0"}, succeeded)
	valueIs(recorded(m.RunTimeLimit), strconv.Itoa(runStateLimit))
	valueIs(recorded(m.RunTimeFactor), "1000")
	valueIs(recorded(m.FailureThreshold), "2")
	valueIs(recorded(m.ConsecutiveFailures), "0")
	prom.evaluatedAfter(time.Now(), 2)

	// (1) A run that hangs past its limit.
	hang := j.Trigger(map[string]string{"sleep": strconv.Itoa(2 * runStateLimit)})
	tl := firing(tooLong, alertTooLong)
	running, err := p.Argo.ArgoprojV1alpha1().Workflows(Namespace).Get(context.Background(), hang.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	startedAt := running.Status.StartedAt.Time
	limitAt := startedAt.Add(runStateLimit * time.Second)
	wf := p.WaitDone(t, hang.Name)
	j.Observe(wf, succeeded)
	finishedAt := wf.Status.FinishedAt.Time
	tlResolved := resolved(tooLong, alertTooLong)
	// The gauge is the run's age from its startedAt (whole seconds as stored); a sample's
	// timestamp is its scrape's start, a few ms before the controller computes the value.
	if tl.ActiveAt.Before(limitAt.Add(-250*time.Millisecond)) || !tl.ActiveAt.Before(finishedAt) {
		t.Errorf("%s active since %s, want after the run's limit (started %s + %d s) and before its end %s",
			alertTooLong, tl.ActiveAt.Format(time.StampMilli), startedAt.Format(time.StampMilli), runStateLimit, finishedAt.Format(time.StampMilli))
	}
	if v, err := strconv.ParseFloat(tl.Value, 64); err != nil || v <= runStateLimit {
		t.Errorf("%s value %q, want the run's age, above %d s", alertTooLong, tl.Value, runStateLimit)
	}
	t.Logf("%s: active %.1fs after the run's limit (value %s), resolved %.1fs after the run ended (it ran %.0fs)",
		alertTooLong, tl.ActiveAt.Sub(limitAt).Seconds(), tl.Value, tlResolved.Sub(finishedAt).Seconds(), finishedAt.Sub(startedAt).Seconds())

	// (2) Failed runs in a row: the first does not alert, the second does.
	j.Run(map[string]string{"exit": "1"}, failed)
	valueIs(recorded(m.ConsecutiveFailures), "1")
	prom.evaluatedAfter(time.Now(), 2)
	secondStart := time.Now()
	j.Run(map[string]string{"exit": "1"}, failed)
	secondEnd := time.Now()
	st := firing(streak, alertStreak)
	t.Logf("%s fired %.1fs after the second failed run ended", alertStreak, time.Since(secondEnd).Seconds())

	// A controller restart forgets the count: the new controller exports nothing for the job.
	if err := p.RestartController(""); err != nil {
		t.Fatal(err)
	}
	prom.setTarget()
	restartedAt := time.Now()
	if lines, _, err := j.Scraped(); err != nil || len(lines) != 0 {
		t.Fatalf("after the restart the controller exports %q for the job (%v): the restart proves nothing", lines, err)
	}
	valueIs(fmt.Sprintf(`up{pod=%q}`, p.controllerPod()), "1")
	prom.wait(raw(m.ConsecutiveFailures)+" empty (stale after the restart)", func() (bool, error) {
		r, err := prom.query(raw(m.ConsecutiveFailures))
		return err == nil && len(r) == 0, err
	})
	stale := time.Now()
	prom.evaluatedAfter(stale, 3)
	if r, err := prom.query(recorded(m.ConsecutiveFailures)); err != nil || len(r) != 0 {
		t.Fatalf("recorded count after the restart: %v (%v), want none (the alert must stand on the held timestamps)", r, err)
	}
	t.Logf("controller restarted; its count gone from Prometheus %.1fs later; 3 evaluations without it", stale.Sub(restartedAt).Seconds())

	// A failure on the new controller counts 1 there; the streak stays open.
	wf = p.WaitDone(t, j.Trigger(map[string]string{"exit": "1"}).Name)
	if wf.Status.Phase != failed {
		t.Fatalf("run %s: phase %s, want Failed\n%s", wf.Name, wf.Status.Phase, describe(wf))
	}
	valueIs(fmt.Sprintf(`%s%s{cronworkflow=%q,pod=%q}`, metricPrefix, m.ConsecutiveFailures.Name, name, p.controllerPod()), "1")
	prom.evaluatedAfter(time.Now(), 2)

	// A success resolves it.
	wf = p.WaitDone(t, j.Trigger(map[string]string{"exit": "0"}).Name)
	if wf.Status.Phase != succeeded {
		t.Fatalf("run %s: phase %s, want Succeeded\n%s", wf.Name, wf.Status.Phase, describe(wf))
	}
	successAt := time.Now()
	stResolved := resolved(streak, alertStreak)
	t.Logf("%s resolved %.1fs after the successful run ended", alertStreak, stResolved.Sub(successAt).Seconds())
	prom.evaluatedAfter(time.Now(), 2)

	// Every sample of each alert, in order.
	check := func(w *alertWatch, alert, severity string, first promAlert, notBefore, openUntil, resolvedAt time.Time) {
		t.Helper()
		want := map[string]string{"alertname": alert, "namespace": Namespace, "cronworkflow": name, "severity": severity}
		checkAlertSamples(t, alert, w, want, first, notBefore, openUntil, resolvedAt)
	}
	check(tooLong, alertTooLong, "warning", tl, limitAt, finishedAt, tlResolved)
	check(streak, alertStreak, "critical", st, secondStart, successAt, stResolved)
}
