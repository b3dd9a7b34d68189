package chart_test

// The chart's Prometheus and GMP rules, evaluated by Prometheus' own rule engine: `promtool test
// rules` (v0.305.0) on the rules rendered from the chart, fed with the series a real
// workflow-controller exports (one set per controller pod, with the target labels Prometheus
// adds), through restarts, leader changes, scrape gaps, threshold changes and deleted jobs.
// Every expected firing window below is written out by hand, in minutes since the start.

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// promtoolVersion is the Prometheus release whose rule engine judges the rules.
const promtoolVersion = "v0.305.0"

var (
	promtoolOnce sync.Once
	promtoolPath string
	promtoolErr  error
)

// promtool returns $PROMTOOL (set by `make test`), else builds it once with the cached
// throw-away-module build of test/tools/prometheus.sh.
func promtool(t *testing.T) string {
	t.Helper()
	promtoolOnce.Do(func() {
		if p := os.Getenv("PROMTOOL"); p != "" {
			promtoolPath = p
			return
		}
		out, err := exec.Command(filepath.Join("..", "..", "test", "tools", "prometheus.sh"), "promtool", promtoolVersion).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				err = fmt.Errorf("%v: %s", err, ee.Stderr)
			}
			promtoolErr = fmt.Errorf("building promtool %s: %v", promtoolVersion, err)
			return
		}
		promtoolPath = strings.TrimSpace(string(out))
	})
	if promtoolErr != nil {
		t.Fatal(promtoolErr)
	}
	return promtoolPath
}

// A flavour is one way the chart's rules see the controller's series.
type flavour struct {
	name   string
	values map[string]any
	kind   string   // the rendered object holding the rules
	apis   []string // APIs the render is given
	nsKey  string   // label carrying the job's namespace
	target func(ctrlNS, pod string) map[string]string
	// otherControllers: whether a controller of another Argo installation is visible to the
	// rules (not on GMP, whose Rules only see their own namespace).
	otherControllers bool
	// ksmNsKey: the label carrying a CronWorkflow's namespace on kube-state-metrics' series;
	// ksmTarget: the target labels of its scrape.
	ksmNsKey  string
	ksmTarget map[string]string
	// stateOnly: only the scenarios with kube-state-metrics differ in this flavour.
	stateOnly bool
}

func flavours(t *testing.T) []flavour {
	promTarget := func(ctrlNS, pod string) map[string]string {
		return map[string]string{"namespace": ctrlNS, "pod": pod, "instance": podIP(pod) + ":9090",
			"job": ctrlNS + "/batch-monitoring-controller", "endpoint": "metrics", "container": "workflow-controller"}
	}
	gmpTarget := func(ctrlNS, pod string) map[string]string {
		return map[string]string{"project_id": "p", "location": "europe-west1", "cluster": "c", "namespace": ctrlNS,
			"job": "batch-monitoring-controller", "instance": pod + ":metrics", "pod": pod, "container": "controller"}
	}
	noHonor := scenario(t, "05-prometheus-values.yaml")
	noHonor["prometheus"].(map[string]any)["podMonitor"].(map[string]any)["honorLabels"] = false
	ksmNoHonor := mergeValues(scenario(t, "05-prometheus-values.yaml"), map[string]any{"kubeStateMetrics": map[string]any{"honorLabels": false}})
	// kube-state-metrics as kube-prometheus-stack scrapes it (a ServiceMonitor, in its own
	// namespace), and on GMP (a PodMonitoring in the controller namespace: GMP's Rules only see
	// their own namespace).
	ksmProm := map[string]string{"namespace": "monitoring", "pod": "kube-state-metrics-5d9c-x2x7q", "instance": "10.0.9.9:8080",
		"job": "kube-state-metrics", "service": "kube-state-metrics", "endpoint": "http", "container": "kube-state-metrics"}
	ksmGMP := map[string]string{"project_id": "p", "location": "europe-west1", "cluster": "c", "namespace": "argo",
		"job": "kube-state-metrics", "instance": "kube-state-metrics-5d9c-x2x7q:http", "pod": "kube-state-metrics-5d9c-x2x7q", "container": "kube-state-metrics"}
	return []flavour{
		{"prometheus", scenario(t, "05-prometheus-values.yaml"), "PrometheusRule", nil, "namespace", promTarget, true, "namespace", ksmProm, false},
		{"prometheus-honorLabels-false", noHonor, "PrometheusRule", nil, "exported_namespace", promTarget, true, "namespace", ksmProm, false},
		{"prometheus-ksm-honorLabels-false", ksmNoHonor, "PrometheusRule", nil, "namespace", promTarget, true, "exported_namespace", ksmProm, true},
		{"gmp", scenario(t, "06-gmp-values.yaml"), "Rules", nil, "exported_namespace", gmpTarget, false, "exported_namespace", ksmGMP, false},
	}
}

func podIP(pod string) string {
	n := 0
	for _, c := range pod {
		n = n*31 + int(c)
	}
	return fmt.Sprintf("10.0.%d.%d", n%200, n%250+1)
}

// A controller pod: up during [from, to), leading during the given intervals.
type pod struct {
	name     string
	ns       string // controller namespace; "" is argo
	from, to int
	leads    [][2]int
	// noLeaderGauge: the pod exports no argo_workflows_is_leader (Argo before 3.6).
	noLeaderGauge bool
}

func (p pod) up(t int) bool { return p.from <= t && t < p.to }

func (p pod) leading(t int) bool {
	for _, l := range p.leads {
		if l[0] <= t && t < l[1] {
			return true
		}
	}
	return false
}

// A completed run, as the controller records it: the pod that led at that minute sets the job's
// gauges.
type run struct {
	at        int
	ns, job   string
	failed    bool
	duration  float64 // seconds; 0 means 600
	threshold float64 // seconds; 0 means 90000
	// Run-state scenarios only. start: the minute the run started (0: at its completion);
	// current_run_seconds grows from it while the leader runs it, then stays at the whole
	// seconds of the duration (test/e2e/README.md). factor, limit (seconds) and failures: the
	// job's run_time_factor, run_time_limit_seconds and consecutive_failures_threshold,
	// written at completion (0: 3, 3600 and 3).
	start         int
	factor, limit float64
	failures      float64
}

// A window during which exactly one alert instance for (ns, job) fires: [from, to).
type window struct {
	from, to int
	ns, job  string // empty for the controller alert
}

type ruleScenario struct {
	name    string
	minutes int
	values  map[string]any // merged over the flavour's values
	pods    []pod
	runs    []run
	fire    map[string][]window // alert -> windows; an alert not listed never fires
	// runState: the chart's recipe has every run-state metric (examples/run-state/config.yaml),
	// and the series carry them.
	runState bool
	// down: minutes [from, to) during which Prometheus is down (outage scenarios only: promtool
	// cannot stop its rule evaluation). restoredBy: the rule groups whose snapshots bring the
	// state back after an outage, in turn: a window from the end of an outage opens at the main
	// group's first evaluation after the first evaluation of the last of them, itself after the
	// one before it... since the restart; nothing fires before it.
	down       [][2]int
	restoredBy []string
	// crons: the CronWorkflows as kube-state-metrics exports them (state_test.go); none: no
	// kube-state-metrics. ksmDown: [from, to) minutes its scrape returns nothing.
	crons   []cron
	ksmDown [][2]int
	// labels: labels of an alert instance besides the job's and severity, by
	// "<alert> <namespace>/<name>".
	labels map[string]map[string]string
}

const (
	alertFailed     = "ArgoCronWorkflowLastRunFailed"
	alertStale      = "ArgoCronWorkflowNotSucceededWithinThreshold"
	alertSlow       = "ArgoCronWorkflowSlowRun"
	alertController = "ArgoWorkflowsControllerNotExporting"
	alertTooLong    = "ArgoCronWorkflowRunningTooLong"
	alertStreak     = "ArgoCronWorkflowConsecutiveFailures"
	alertMissed     = "ArgoCronWorkflowMissedSchedule"
	alertSuspended  = "ArgoCronWorkflowSuspended"
	alertSpecError  = "ArgoCronWorkflowSpecError"
)

var allAlerts = []string{alertFailed, alertStale, alertSlow, alertController, alertTooLong, alertStreak, alertMissed, alertSuspended, alertSpecError}

func leader(name string, from, to int) pod {
	return pod{name: name, from: from, to: to, leads: [][2]int{{from, to}}}
}

var ruleScenarios = []ruleScenario{
	{
		name:    "fail fires until the success, across a 10-minute restart",
		minutes: 700,
		pods:    []pod{leader("ctrl-a", 0, 300), leader("ctrl-b", 310, 700)},
		runs: []run{
			{at: 60, ns: "data", job: "nightly"},
			{at: 120, ns: "data", job: "nightly", failed: true},
			{at: 400, ns: "data", job: "nightly", failed: true},
			{at: 500, ns: "data", job: "nightly"},
		},
		// 10 minutes without a leader: pending, never firing (for: 15m).
		fire: map[string][]window{alertFailed: {{120, 500, "data", "nightly"}}},
	},
	{
		name:    "a 6-hour restart gap: the failure holds, the controller alert fires meanwhile",
		minutes: 1000,
		pods:    []pod{leader("ctrl-a", 0, 300), leader("ctrl-b", 660, 1000)},
		runs: []run{
			{at: 60, ns: "data", job: "nightly"},
			{at: 120, ns: "data", job: "nightly", failed: true},
			{at: 800, ns: "data", job: "nightly"},
		},
		fire: map[string][]window{
			alertFailed:     {{120, 800, "data", "nightly"}},
			alertController: {{315, 660, "", ""}},
		},
	},
	{
		name:    "leader change: the old pod keeps its stale failure, the new leader's success wins",
		minutes: 800,
		pods: []pod{
			{name: "ctrl-a", from: 0, to: 700, leads: [][2]int{{0, 310}}},
			{name: "ctrl-b", from: 300, to: 800, leads: [][2]int{{310, 800}}},
		},
		runs: []run{
			{at: 60, ns: "data", job: "nightly"},
			{at: 120, ns: "data", job: "nightly", failed: true},
			{at: 400, ns: "data", job: "nightly"},
		},
		fire: map[string][]window{alertFailed: {{120, 400, "data", "nightly"}}},
	},
	{
		name:    "staleness before and after the threshold, across a restart",
		minutes: 600,
		pods:    []pod{leader("ctrl-a", 0, 150), leader("ctrl-b", 160, 600)},
		runs: []run{
			{at: 60, ns: "data", job: "hourly", threshold: 7200},
			{at: 300, ns: "data", job: "hourly", threshold: 7200},
		},
		// Last success at minute 60, threshold 2 h: overdue after minute 180, from the recorded
		// history while no pod exports the job; again 2 h after the success at 300.
		fire: map[string][]window{alertStale: {{181, 300, "data", "hourly"}, {421, 600, "data", "hourly"}}},
	},
	{
		name:    "a changed threshold takes effect at the job's next run",
		minutes: 600,
		pods:    []pod{leader("ctrl-a", 0, 600)},
		runs: []run{
			{at: 60, ns: "data", job: "hourly", threshold: 7200},
			{at: 100, ns: "data", job: "hourly", failed: true, threshold: 3600},
			{at: 150, ns: "data", job: "hourly", failed: true, threshold: 14400},
		},
		// Lowered to 1 h at minute 100: overdue after 60+60; raised to 4 h at 150: resolved,
		// overdue again after 60+240.
		fire: map[string][]window{
			alertFailed: {{100, 600, "data", "hourly"}},
			alertStale:  {{121, 150, "data", "hourly"}, {301, 600, "data", "hourly"}},
		},
	},
	{
		name:    "a slow run right after a restart is compared with the job's own median",
		minutes: 700,
		pods:    []pod{leader("ctrl-a", 0, 400), leader("ctrl-b", 410, 700)},
		runs: append(hourly(60, 360, "data", "nightly", 600), append(hourly(60, 360, "data", "quick", 100),
			run{at: 480, ns: "data", job: "nightly", duration: 1300}, // > 2 × 600 and > 300 s
			run{at: 480, ns: "data", job: "quick", duration: 250},    // > 2 × 100 but < minSeconds
			run{at: 540, ns: "data", job: "nightly", duration: 600},
			run{at: 540, ns: "data", job: "quick", duration: 100})...),
		fire: map[string][]window{alertSlow: {{480, 540, "data", "nightly"}}},
	},
	{
		name:    "the same job name in two namespaces: one alert each",
		minutes: 600,
		pods:    []pod{leader("ctrl-a", 0, 600)},
		runs: []run{
			{at: 60, ns: "data", job: "nightly", failed: true},
			{at: 60, ns: "billing", job: "nightly"},
			{at: 200, ns: "billing", job: "nightly", failed: true},
			{at: 300, ns: "data", job: "nightly"},
		},
		fire: map[string][]window{alertFailed: {{60, 300, "data", "nightly"}, {200, 600, "billing", "nightly"}}},
	},
	{
		name:    "controller standby, no leader, down",
		minutes: 700,
		pods: []pod{
			{name: "ctrl-a", from: 0, to: 300, leads: [][2]int{{0, 100}, {200, 300}}},
			{name: "ctrl-b", from: 0, to: 300}, // standby throughout
			leader("ctrl-c", 400, 700),
		},
		runs: []run{{at: 50, ns: "data", job: "nightly"}},
		// No leader from 100 (both standby), no controller at all from 300: for 15m each.
		fire: map[string][]window{alertController: {{115, 200, "", ""}, {315, 400, "", ""}}},
	},
	{
		name:    "a controller without is_leader (Argo before 3.6) counts as leading",
		minutes: 400,
		pods:    []pod{{name: "ctrl-a", from: 0, to: 400, leads: [][2]int{{0, 400}}, noLeaderGauge: true}},
		runs: []run{
			{at: 60, ns: "data", job: "nightly", failed: true},
			{at: 300, ns: "data", job: "nightly"},
		},
		// The controller alert cannot tell it leads: absent from the start, firing after 15m.
		fire: map[string][]window{
			alertFailed:     {{60, 300, "data", "nightly"}},
			alertController: {{15, 400, "", ""}},
		},
	},
	{
		name:    "a deleted job stops alerting alerts.lookback after its series was last exported",
		minutes: 900,
		values:  map[string]any{"alerts": map[string]any{"lookback": "8h"}},
		pods:    []pod{leader("ctrl-a", 0, 300), leader("ctrl-b", 300, 900)},
		runs: []run{
			{at: 60, ns: "data", job: "removed", threshold: 7200},
			{at: 120, ns: "data", job: "removed", failed: true, threshold: 7200},
		},
		// Last exported at minute 299; the range (t-8h, t] holds it until minute 779.
		fire: map[string][]window{
			alertFailed: {{120, 779, "data", "removed"}},
			alertStale:  {{181, 779, "data", "removed"}},
		},
	},
}

// runStateOnly turns the four original alerts off: the run-state scenarios judge the two new ones.
var runStateOnly = map[string]any{"alerts": map[string]any{
	"lastRunFailed": map[string]any{"enabled": false}, "notSucceeded": map[string]any{"enabled": false},
	"slowRun": map[string]any{"enabled": false}, "controllerDown": map[string]any{"enabled": false}}}

// tenMinuteRuns returns successful 600.5-second runs of a job starting at each minute (run time
// factor 3: its limit is 3 × 600.5 = 1801.5 s, or limit when lower).
func tenMinuteRuns(ns, job string, limit float64, starts ...int) []run {
	var out []run
	for _, s := range starts {
		out = append(out, run{start: s, at: s + 10, ns: ns, job: job, duration: 600.5, limit: limit})
	}
	return out
}

func concatRuns(rs ...[]run) []run {
	var out []run
	for _, r := range rs {
		out = append(out, r...)
	}
	return out
}

var runStateScenarios = []ruleScenario{
	{
		name:     "running too long: fires past the lower of 3 × the median and the limit, not before, resolves at the end",
		minutes:  400,
		runState: true,
		values:   runStateOnly,
		pods:     []pod{leader("ctrl-a", 0, 400)},
		runs: concatRuns(
			// 3 × 600.5 = 1801.5 s: 1800 at minute 280 is not above it, 1860 at 281 is. It ends
			// at 300 (3000.4 s; the gauge stays at 3000): resolved.
			tenMinuteRuns("data", "nightly", 0, 10, 70, 130, 190),
			[]run{{start: 250, at: 300, ns: "data", job: "nightly", duration: 3000.4}},
			// Limit 1200 s, below 3 × the median: 1200 at minute 270 is not above it; it never ends.
			tenMinuteRuns("data", "capped", 1200, 10, 70, 130, 190),
			[]run{{start: 250, at: 10000, ns: "data", job: "capped"}},
			// The same name in another namespace, running as usual.
			tenMinuteRuns("billing", "capped", 1200, 10, 70, 130, 190, 250, 310),
			// No completed run yet: no limits, no alert (firstRunSeconds 0).
			[]run{{start: 100, at: 10000, ns: "data", job: "new"}},
			// One slow run (30 minutes, held from 220) does not move the median much: the limit
			// stays 3 × 600.5 (its maximum would make it 3 × 1800.5).
			tenMinuteRuns("data", "spiky", 0, 10, 70, 130),
			[]run{{start: 190, at: 220, ns: "data", job: "spiky", duration: 1800.5}, {start: 250, at: 10000, ns: "data", job: "spiky"}},
		),
		fire: map[string][]window{alertTooLong: {{281, 300, "data", "nightly"}, {271, 400, "data", "capped"}, {281, 400, "data", "spiky"}}},
	},
	{
		name:     "running too long across a restart: silent while no controller exports the run, again when the new one does",
		minutes:  400,
		runState: true,
		values:   runStateOnly,
		pods:     []pod{leader("ctrl-a", 0, 290), leader("ctrl-b", 300, 400)},
		runs: concatRuns(
			tenMinuteRuns("data", "nightly", 0, 10, 70, 130, 190),
			// ctrl-b has no limit nor duration of its own: the recorded ones hold. It ends at 330.
			[]run{{start: 250, at: 330, ns: "data", job: "nightly", duration: 4800.4}},
			// Ended before the restart: ctrl-b exports nothing for it until its next run.
			tenMinuteRuns("data", "done", 0, 10, 70, 130, 190, 250, 350),
			// Limit 1200 s, recorded by ctrl-a only: it still holds for ctrl-b's 1260 s at 306.
			tenMinuteRuns("data", "capped", 1200, 10, 70, 130, 190),
			[]run{{start: 285, at: 10000, ns: "data", job: "capped"}},
		),
		fire: map[string][]window{alertTooLong: {{281, 290, "data", "nightly"}, {300, 330, "data", "nightly"}, {306, 400, "data", "capped"}}},
	},
	{
		name:     "before the first completion, alerts.runningTooLong.firstRunSeconds applies, only then",
		minutes:  300,
		runState: true,
		values:   mergeValues(runStateOnly, map[string]any{"alerts": map[string]any{"runningTooLong": map[string]any{"firstRunSeconds": 600}}}),
		pods:     []pod{leader("ctrl-a", 0, 300)},
		runs: concatRuns(
			// 600 s at minute 110 is not above 600.
			[]run{{start: 100, at: 10000, ns: "data", job: "new"}},
			// Its own limit (1801.5 s) applies, not the first-run one: from 221, not 201.
			tenMinuteRuns("data", "nightly", 0, 10, 70, 130),
			[]run{{start: 190, at: 10000, ns: "data", job: "nightly"}},
		),
		fire: map[string][]window{alertTooLong: {{111, 300, "data", "new"}, {221, 300, "data", "nightly"}}},
	},
	{
		name:     "N consecutive failures: silent at N-1, open from the Nth until the next success, across a restart",
		minutes:  600,
		runState: true,
		values:   runStateOnly,
		pods:     []pod{leader("ctrl-a", 0, 250), leader("ctrl-b", 260, 600)},
		runs: []run{
			{at: 60, ns: "data", job: "flaky"},
			{at: 100, ns: "data", job: "flaky", failed: true},
			{at: 120, ns: "data", job: "flaky", failed: true}, // 2 of 3
			{at: 140, ns: "data", job: "flaky"},
			{at: 160, ns: "data", job: "flaky", failed: true},
			{at: 180, ns: "data", job: "flaky", failed: true},
			{at: 200, ns: "data", job: "flaky", failed: true}, // 3 of 3
			{at: 300, ns: "data", job: "flaky", failed: true}, // ctrl-b counts 1: still open
			{at: 400, ns: "data", job: "flaky"},
			// Threshold 2 (annotation), the same name in another namespace.
			{at: 100, ns: "billing", job: "flaky", failed: true, failures: 2},
			{at: 120, ns: "billing", job: "flaky", failed: true, failures: 2},
			{at: 150, ns: "billing", job: "flaky", failures: 2},
			// Never succeeded.
			{at: 300, ns: "data", job: "never", failed: true},
			{at: 320, ns: "data", job: "never", failed: true},
			{at: 340, ns: "data", job: "never", failed: true},
			// 2 before the restart, 1 after: the controller's count restarts at 1 (documented).
			{at: 200, ns: "data", job: "split", failed: true},
			{at: 220, ns: "data", job: "split", failed: true},
			{at: 300, ns: "data", job: "split", failed: true},
		},
		fire: map[string][]window{alertStreak: {{200, 400, "data", "flaky"}, {120, 150, "billing", "flaky"}, {340, 600, "data", "never"}}},
	},
}

// hourly returns successful runs every 60 minutes in [from, to].
func hourly(from, to int, ns, job string, duration float64) []run {
	var out []run
	for t := from; t <= to; t += 60 {
		out = append(out, run{at: t, ns: ns, job: job, duration: duration})
	}
	return out
}

// series of one scenario, as promtool's input series.
func (sc ruleScenario) series(f flavour) []map[string]any {
	var out []map[string]any
	for _, s := range sc.scraped(f) {
		out = append(out, map[string]any{"series": promSeries(s.labels), "values": promValues(s.values)})
	}
	return out
}

// scrapedSeries is one series of a scenario: its labels (__name__ included) and its value at
// each minute (NaN: not exported).
type scrapedSeries struct {
	labels map[string]string
	values []float64
}

// scraped returns the series of one scenario, as Prometheus scrapes them every minute.
func (sc ruleScenario) scraped(f flavour) []scrapedSeries {
	pods := append([]pod(nil), sc.pods...)
	if f.otherControllers {
		// Another Argo installation's leader, in its own namespace: it must not hide ours.
		pods = append(pods, pod{name: "other-ctrl", ns: "argo-other", from: 0, to: sc.minutes, leads: [][2]int{{0, sc.minutes}}})
	}
	var out []scrapedSeries
	add := func(labels map[string]string, vals []float64) {
		out = append(out, scrapedSeries{labels, vals})
	}
	for _, p := range pods {
		ns := p.ns
		if ns == "" {
			ns = "argo"
		}
		leaderVals := make([]float64, sc.minutes)
		for t := range leaderVals {
			leaderVals[t] = math.NaN()
			if p.up(t) {
				leaderVals[t] = 0
				if p.leading(t) {
					leaderVals[t] = 1
				}
			}
		}
		if !p.noLeaderGauge {
			l := f.target(ns, p.name)
			l["__name__"] = "argo_workflows_is_leader"
			add(l, leaderVals)
		}
		// The job gauges this pod holds: set by the runs it recorded as leader, kept while up.
		gauges := map[jobKey]map[string][]float64{}
		var jobs []jobKey
		for _, r := range sc.runs {
			if p.ns != "" || !p.up(r.at) || !p.leading(r.at) { // the other installation runs none of ours
				continue
			}
			k := jobKey{p.name, r.ns, r.job}
			g, ok := gauges[k]
			if !ok {
				g = map[string][]float64{}
				for _, m := range metrics {
					g[m] = nanSlice(sc.minutes)
				}
				gauges[k] = g
				jobs = append(jobs, k)
			}
			dur, thr := r.duration, r.threshold
			if dur == 0 {
				dur = 600
			}
			if thr == 0 {
				thr = 90000
			}
			exit := 0.0
			if r.failed {
				exit = 1
			}
			streak := 0.0
			if r.failed {
				if prev := g["consecutive_failures"][r.at-1]; !math.IsNaN(prev) {
					streak = prev
				}
				streak++
			}
			for t := r.at; t < p.to && t < sc.minutes; t++ {
				g["exit_code"][t], g["duration"][t], g["staleness_threshold_seconds"][t] = exit, dur, thr
				if !r.failed {
					g["last_success_timestamp"][t] = float64(r.at * 60)
				}
				if sc.runState {
					g["run_time_factor"][t], g["run_time_limit_seconds"][t] = orDefault(r.factor, 3), orDefault(r.limit, 3600)
					g["consecutive_failures"][t], g["consecutive_failures_threshold"][t] = streak, orDefault(r.failures, 3)
				}
			}
		}
		if sc.runState {
			jobs = sc.currentRun(p, gauges, jobs)
		}
		for _, k := range jobs {
			for _, m := range metrics {
				if !sc.runState && runStateMetric[m] {
					continue
				}
				l := f.target(ns, p.name)
				if f.nsKey == "namespace" {
					l["namespace"] = k.ns // honorLabels: the metric's own label wins
				} else {
					l[f.nsKey] = k.ns
				}
				l["cronworkflow"] = k.job
				l["__name__"] = "argo_workflows_" + m
				add(l, gauges[k][m])
			}
		}
	}
	return append(out, sc.ksmSeries(f)...)
}

// jobKey: one pod's gauges of one job.
type jobKey struct{ pod, ns, job string }

// metrics the scenarios' controllers export per job; the run-state ones only in run-state
// scenarios.
var (
	metrics        = []string{"exit_code", "duration", "staleness_threshold_seconds", "last_success_timestamp", "current_run_seconds", "run_time_factor", "run_time_limit_seconds", "consecutive_failures", "consecutive_failures_threshold"}
	runStateMetric = map[string]bool{"current_run_seconds": true, "run_time_factor": true, "run_time_limit_seconds": true, "consecutive_failures": true, "consecutive_failures_threshold": true}
)

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// currentRun writes pod p's realtime current_run_seconds of each job, as measured on the
// controller: while p leads during a run, the run's age; from the completion p recorded, the
// whole seconds of the duration, until the job's next run starts; nothing for a run another pod
// completed (a restarted controller exports nothing until a run goes). Returns jobs plus those
// p only saw running.
func (sc ruleScenario) currentRun(p pod, gauges map[jobKey]map[string][]float64, jobs []jobKey) []jobKey {
	if p.ns != "" {
		return jobs
	}
	for _, r := range sc.runs {
		start := r.start
		if start == 0 {
			start = r.at
		}
		k := jobKey{p.name, r.ns, r.job}
		g := gauges[k]
		if g == nil {
			g = map[string][]float64{}
			for _, m := range metrics {
				g[m] = nanSlice(sc.minutes)
			}
			gauges[k] = g
		}
		exported := false
		cur := g["current_run_seconds"]
		for t := start; t < sc.minutes; t++ {
			cur[t] = math.NaN()
		}
		for t := start; t < r.at && t < sc.minutes; t++ {
			if p.up(t) && p.leading(t) {
				cur[t] = float64((t - start) * 60)
				exported = true
			}
		}
		if r.at < sc.minutes && p.up(r.at) && p.leading(r.at) {
			for t := r.at; t < p.to && t < sc.minutes; t++ {
				cur[t] = math.Floor(orDefault(r.duration, 600))
			}
		}
		if exported && !containsKey(jobs, k) {
			jobs = append(jobs, k)
		}
	}
	return jobs
}

func containsKey(ks []jobKey, k jobKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

func promSeries(l map[string]string) string {
	var keys []string
	for k := range l {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, l[k]))
	}
	return l["__name__"] + "{" + strings.Join(parts, ",") + "}"
}

// promValues writes one sample a minute: `_` where the series is absent, `stale` (Prometheus'
// staleness marker) at the first scrape that no longer returns it.
func promValues(vals []float64) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch {
		case !math.IsNaN(v):
			parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
		case i > 0 && !math.IsNaN(vals[i-1]):
			parts[i] = "stale"
		default:
			parts[i] = "_"
		}
	}
	return strings.Join(parts, " ")
}

// checkpoints are the minutes at which every alert is compared: every 5 minutes, and the
// minute before and at each window's edges.
func (sc ruleScenario) checkpoints() []int {
	set := map[int]bool{}
	for t := 0; t < sc.minutes; t += 5 {
		set[t] = true
	}
	for _, ws := range sc.fire {
		for _, w := range ws {
			for _, t := range []int{w.from - 1, w.from, w.to - 1, w.to} {
				if t >= 0 && t < sc.minutes {
					set[t] = true
				}
			}
		}
	}
	var out []int
	for t := range set {
		out = append(out, t)
	}
	sort.Ints(out)
	return out
}

// rulesOf renders the chart with vals and returns its rule groups without annotations (texts,
// checked by the chart tests; promtool would compare them verbatim).
func rulesOf(t *testing.T, dir string, f flavour, vals map[string]any) (groups []any, severities map[string]string, extra map[string]string) {
	t.Helper()
	res, err := chart.Render(dir, vals, chart.Options{APIVersions: f.apis})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	objs := res.OfKind(f.kind)
	if len(objs) != 1 {
		t.Fatalf("%d %s objects rendered, want 1", len(objs), f.kind)
	}
	gs, err := chart.Path(objs[0].Body, "spec", "groups")
	if err != nil {
		t.Fatal(err)
	}
	severities = map[string]string{}
	for _, g := range gs.([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			rule := r.(map[string]any)
			delete(rule, "annotations")
			if name, ok := rule["alert"].(string); ok {
				labels := rule["labels"].(map[string]any)
				severities[name] = labels["severity"].(string)
				extra = map[string]string{}
				for k, v := range labels {
					if k != "severity" {
						extra[k] = v.(string)
					}
				}
			}
		}
	}
	return gs.([]any), severities, extra
}

// TestRulesEvaluated runs every scenario list on every flavour; subtests
// <flavour>/<list>, lists controller, run-state and state (-run selects them, as chartmut does).
func TestRulesEvaluated(t *testing.T) {
	tool := promtool(t)
	lists := []struct {
		name      string
		scenarios []ruleScenario
	}{{"controller", ruleScenarios}, {"run-state", runStateScenarios}, {"state", stateScenarios}}
	for _, f := range flavours(t) {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			for _, l := range lists {
				if f.stateOnly && l.name != "state" {
					continue
				}
				t.Run(l.name, func(t *testing.T) { evalScenarios(t, tool, f, l.scenarios) })
			}
		})
	}
}

// evalScenarios evaluates scenarios on the flavour's rules with promtool: scenarios with the
// same values share one render and one promtool run.
func evalScenarios(t *testing.T, tool string, f flavour, scenarios []ruleScenario) {
	dir := t.TempDir()
	type run struct {
		rules      []any
		sev, extra map[string]string
		tests      []any
		names      []string
	}
	var runs []*run
	byRules := map[string]*run{}
	for _, sc := range scenarios {
		key := fmt.Sprint(sc.runState, sc.values)
		r := byRules[key]
		if r == nil {
			r = &run{}
			vals := mergeValues(f.values, sc.values)
			if sc.runState {
				vals = mergeValues(vals, runStateValues(t))
			}
			r.rules, r.sev, r.extra = rulesOf(t, chartDir, f, vals)
			byRules[key] = r
			runs = append(runs, r)
		}
		sev, extra := r.sev, r.extra
		var checks []any
		for _, at := range sc.checkpoints() {
			for _, a := range allAlerts {
				exp := []any{}
				for _, w := range sc.fire[a] {
					if w.from <= at && at < w.to {
						labels := map[string]string{"severity": sev[a]}
						for k, v := range extra {
							labels[k] = v
						}
						if w.job != "" {
							labels[f.nsKey] = w.ns
							labels["cronworkflow"] = w.job
						}
						for k, v := range sc.labels[a+" "+w.ns+"/"+w.job] {
							labels[k] = v
						}
						exp = append(exp, map[string]any{"exp_labels": labels})
					}
				}
				checks = append(checks, map[string]any{"eval_time": fmt.Sprintf("%dm", at), "alertname": a, "exp_alerts": exp})
			}
		}
		r.tests = append(r.tests, map[string]any{
			"name":            sc.name,
			"interval":        "1m",
			"input_series":    sc.series(f),
			"alert_rule_test": checks,
		})
		r.names = append(r.names, sc.name)
	}
	for i, r := range runs {
		rf := fmt.Sprintf("rules-%d.yaml", i)
		writeYAML(t, filepath.Join(dir, rf), map[string]any{"groups": r.rules})
		tf := filepath.Join(dir, fmt.Sprintf("test-%d.yaml", i))
		writeYAML(t, tf, map[string]any{"rule_files": []string{rf}, "evaluation_interval": "1m", "group_eval_order": groupOrder(r.rules), "tests": r.tests})
		if out, err := exec.Command(tool, "test", "rules", tf).CombinedOutput(); err != nil {
			t.Errorf("scenarios %q: promtool test rules: %v\n%s", r.names, err, trimOutput(out))
		}
	}
}

// groupOrder names the rule groups in their order: promtool evaluates every group at every
// evaluation_interval, in this order (in an order of its map's choosing without it).
func groupOrder(groups []any) []string {
	var names []string
	for _, g := range groups {
		names = append(names, g.(map[string]any)["name"].(string))
	}
	return names
}

func trimOutput(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		s = s[:4000] + "\n..."
	}
	return s
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mergeValues returns base with over merged in (maps deeply), without changing either.
func mergeValues(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		if m, ok := v.(map[string]any); ok {
			v = mergeValues(m, nil)
		}
		out[k] = v
	}
	for k, v := range over {
		if m, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(bm, m)
				continue
			}
		}
		out[k] = v
	}
	return out
}
