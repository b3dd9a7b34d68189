package chart_test

// The chart's rules through Prometheus outages, which promtool cannot express (it evaluates
// every group at every step and never stops): Prometheus' own rule groups, PromQL engine and
// TSDB scheduled as a Prometheus server schedules them (internal/promeval): each group at its own
// interval and offset; while the server is down nothing is scraped or evaluated; at the restart
// the TSDB is reopened (its write-ahead log replayed) and the groups start afresh at their next
// slots. The scenarios of ruleScenarios run here too, with their windows as written, and every
// minute is compared, not only checkpoints.

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/rules"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/promeval"
)

const (
	mainGroup   = "argo-cronworkflows"
	hourlyGroup = "argo-cronworkflows-1h"
	dailyGroup  = "argo-cronworkflows-1d"
)

// month is a monthly job's staleness threshold (seconds): longer than any outage below.
const month = 32 * 86400

// outageRuns: data/nightly failed at 120 (the alert holds until a success); data/fixed failed
// at 120 and succeeded at 295, just before the outages below (a snapshot taken before that
// success must never bring its failure back); data/hourly last succeeded at 60 with a 2-hour
// threshold (overdue from 181).
var outageRuns = []run{
	{at: 60, ns: "data", job: "nightly", threshold: month},
	{at: 120, ns: "data", job: "nightly", failed: true, threshold: month},
	{at: 120, ns: "data", job: "fixed", failed: true, threshold: month},
	{at: 295, ns: "data", job: "fixed", threshold: month},
	{at: 60, ns: "data", job: "hourly", threshold: 7200},
}

// outage returns the scenario of a Prometheus outage of the given minutes from minute 300,
// during which the controller restarts: its new pod, up when Prometheus is back, exports none of
// the jobs. restoredBy are the groups whose snapshots bring the state back, in turn (empty: the
// main group's own carried series span the outage and the alerts go on; nil: nothing does).
func outage(name string, down int, restoredBy []string, minutes int) ruleScenario {
	back := 300 + down
	failed := []window{{120, 295, "data", "fixed"}}
	var stale []window
	for _, w := range []window{{120, minutes, "data", "nightly"}, {181, minutes, "data", "hourly"}} {
		ws := []window{w}
		if restoredBy == nil {
			ws = []window{{w.from, 300, w.ns, w.job}}
		} else if len(restoredBy) > 0 {
			ws = []window{{w.from, 300, w.ns, w.job}, {back, minutes, w.ns, w.job}}
		}
		if w.job == "nightly" {
			failed = append(failed, ws...)
		} else {
			stale = append(stale, ws...)
		}
	}
	sc := ruleScenario{
		name:    name,
		minutes: minutes,
		pods:    []pod{leader("ctrl-a", 0, 300), leader("ctrl-b", back, minutes)},
		runs:    outageRuns,
		down:    [][2]int{{300, back}},
		fire:    map[string][]window{alertFailed: failed, alertStale: stale},
	}
	sc.restoredBy = restoredBy
	return sc
}

var outageScenarios = []ruleScenario{
	outage("Prometheus down 3 minutes while the controller restarts: the alerts go on", 3, []string{}, 600),
	outage("Prometheus down 30 minutes while the controller restarts: the alerts go on", 30, []string{}, 600),
	outage("Prometheus down 6 hours while the controller restarts: back at the hourly group's first evaluation", 360, []string{hourlyGroup}, 1200),
	outage("Prometheus down 2 days while the controller restarts: back at the hourly group's evaluation after the daily group's first", 2*1440, []string{dailyGroup, hourlyGroup}, 300+2*1440+1500),
	outage("Prometheus down 9 days while the controller restarts: the state of jobs not exported since is lost", 9*1440, nil, 300+9*1440+1500),
	{
		name:    "a deleted job still expires exactly alerts.lookback after it was last exported, across a 6-hour outage",
		minutes: 900,
		values:  map[string]any{"alerts": map[string]any{"lookback": "8h"}},
		pods:    []pod{leader("ctrl-a", 0, 300), leader("ctrl-b", 300, 900)},
		runs: []run{
			{at: 60, ns: "data", job: "removed", threshold: 7200},
			{at: 120, ns: "data", job: "removed", failed: true, threshold: 7200},
		},
		down:       [][2]int{{320, 700}},
		restoredBy: []string{hourlyGroup},
		// Last exported at minute 299: restored from the hourly snapshots, expired at 779.
		fire: map[string][]window{
			alertFailed: {{120, 320, "data", "removed"}, {700, 779, "data", "removed"}},
			alertStale:  {{181, 320, "data", "removed"}, {700, 779, "data", "removed"}},
		},
	},
	{
		name:     "N consecutive failures: the streak holds across a 6-hour outage while the controller restarts",
		minutes:  1200,
		runState: true,
		values:   runStateOnly,
		pods:     []pod{leader("ctrl-a", 0, 250), leader("ctrl-b", 610, 1200)},
		runs: []run{
			{at: 60, ns: "data", job: "flaky"},
			{at: 100, ns: "data", job: "flaky", failed: true},
			{at: 120, ns: "data", job: "flaky", failed: true},
			{at: 140, ns: "data", job: "flaky", failed: true},
			{at: 800, ns: "data", job: "flaky", failed: true}, // ctrl-b counts 1: still open
			{at: 1000, ns: "data", job: "flaky"},
		},
		down:       [][2]int{{250, 610}},
		restoredBy: []string{hourlyGroup},
		fire:       map[string][]window{alertStreak: {{140, 250, "data", "flaky"}, {610, 1000, "data", "flaky"}}},
	},
}

func TestRulesAcrossPrometheusOutages(t *testing.T) {
	scenarios := append(append([]ruleScenario(nil), ruleScenarios...), outageScenarios...)
	for _, f := range flavours(t) {
		if f.name == "prometheus-honorLabels-false" {
			continue // the same rules as prometheus but for a label name; TestRulesEvaluated has it
		}
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					vals := mergeValues(f.values, sc.values)
					if sc.runState {
						vals = mergeValues(vals, runStateValues(t))
					}
					groups, sev, extra := rulesOf(t, chartDir, f, vals)
					res := simulate(t, f, sc, groups)
					res.check(t, f, sc, sev, extra)
				})
			}
		})
	}
}

// simResult is what a simulated Prometheus server did: when each group was evaluated (seconds
// since minute 0), and at each minute the main group was evaluated in, the firing instances of
// each alert.
type simResult struct {
	evals  map[string][]int64
	firing map[int]map[string][]string
}

// simulate runs one scenario minute by minute. Minute m is the main group's slot at base +
// m minutes (the scenario's clock starts at one of its slots; the scenarios' timestamps, in
// seconds since minute 0, are shifted by base). While Prometheus is up, the scrape a second
// before the slot (a stale marker where a series it scraped the minute before is gone, as the
// scrape loop writes it; none for series it has not scraped since its start), then every group
// due before the next slot. A restart reopens the TSDB a second before a slot.
func simulate(t *testing.T, f flavour, sc ruleScenario, groups []any) simResult {
	t.Helper()
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "rules.yaml")
	writeYAML(t, ruleFile, map[string]any{"groups": groups})
	base := time.Unix(1_700_000_000, 0).Truncate(time.Minute).Add(promeval.Offset(mainGroup, time.Minute))
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	in := sc.scraped(f)
	lbls := make([]labels.Labels, len(in))
	for i, s := range in {
		lbls[i] = labels.FromMap(s.labels)
		if s.labels["__name__"] == "argo_workflows_last_success_timestamp" {
			for m, v := range s.values {
				s.values[m] = v + float64(base.Unix())
			}
		}
	}
	down := func(m int) bool {
		for _, d := range sc.down {
			if d[0] <= m && m < d[1] {
				return true
			}
		}
		return false
	}
	res := simResult{evals: map[string][]int64{}, firing: map[int]map[string][]string{}}
	var srv *promeval.Server
	defer func() {
		if srv != nil {
			srv.Close()
		}
	}()
	var scraped []bool
	for m := 0; m < sc.minutes; m++ {
		if down(m) {
			if srv != nil {
				if err := srv.Close(); err != nil {
					t.Fatal(err)
				}
				srv = nil
			}
			continue
		}
		now := at(m).Add(-time.Second)
		if srv == nil {
			var err error
			if srv, err = promeval.Start(filepath.Join(dir, "tsdb"), ruleFile, now, promeval.Options{}); err != nil {
				t.Fatal(err)
			}
			scraped = make([]bool, len(in))
		}
		app := srv.Appender()
		for i, s := range in {
			v := s.values[m]
			switch {
			case !math.IsNaN(v):
				scraped[i] = true
			case scraped[i]:
				v, scraped[i] = math.Float64frombits(value.StaleNaN), false
			default:
				continue
			}
			if _, err := app.Append(0, lbls[i], now.UnixMilli(), v); err != nil {
				t.Fatal(err)
			}
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		err := srv.RunUntil(now.Add(time.Minute), func(g *rules.Group, ts time.Time) {
			res.evals[g.Name()] = append(res.evals[g.Name()], int64(ts.Sub(base)/time.Second))
			if g.Name() != mainGroup {
				return
			}
			got := map[string][]string{}
			for _, r := range g.AlertingRules() {
				for _, a := range r.ActiveAlerts() {
					if a.State == rules.StateFiring {
						got[r.Name()] = append(got[r.Name()], a.Labels.String())
					}
				}
			}
			res.firing[int(ts.Sub(base)/time.Minute)] = got
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// opens returns the minute a window opens: from, or for a window from the end of an outage of
// a scenario restored by groups, the minute of the main group's first evaluation after the
// restoring groups' first evaluations in turn since the restart.
func (r simResult) opens(t *testing.T, sc ruleScenario, w window) int {
	restored := false
	for _, d := range sc.down {
		restored = restored || len(sc.restoredBy) > 0 && d[1] == w.from
	}
	if !restored {
		return w.from
	}
	at := int64(w.from)*60 - 1
	for _, g := range append(append([]string(nil), sc.restoredBy...), mainGroup) {
		i := slices.IndexFunc(r.evals[g], func(s int64) bool { return s > at })
		if i < 0 {
			t.Fatalf("group %s was not evaluated after second %d", g, at)
		}
		at = r.evals[g][i]
	}
	return int(at / 60)
}

// check compares every minute the main group was evaluated in with the scenario's windows.
func (r simResult) check(t *testing.T, f flavour, sc ruleScenario, sev, extra map[string]string) {
	t.Helper()
	var minutes []int
	for m := range r.firing {
		minutes = append(minutes, m)
	}
	sort.Ints(minutes)
	wrong := map[string][]string{}
	for _, m := range minutes {
		for _, a := range allAlerts {
			var want []string
			for _, w := range sc.fire[a] {
				if r.opens(t, sc, w) <= m && m < w.to {
					l := map[string]string{"alertname": a, "severity": sev[a]}
					for k, v := range extra {
						l[k] = v
					}
					if w.job != "" {
						l[f.nsKey], l["cronworkflow"] = w.ns, w.job
					}
					want = append(want, labels.FromMap(l).String())
				}
			}
			got := r.firing[m][a]
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				wrong[a] = append(wrong[a], fmt.Sprintf("minute %d: firing %v, want %v", m, got, want))
			}
		}
	}
	for a, ws := range wrong {
		t.Errorf("%s: %d minutes wrong, first %s, last %s", a, len(ws), ws[0], ws[len(ws)-1])
	}
	if len(minutes) == 0 {
		t.Errorf("the main group was never evaluated")
	}
	for _, g := range []string{hourlyGroup, dailyGroup} {
		t.Logf("%s evaluated at minutes %v", g, firstMinutes(r.evals[g], 6))
	}
}

func firstMinutes(secs []int64, n int) []string {
	var out []string
	for i, s := range secs {
		if i == n {
			out = append(out, fmt.Sprintf("... (%d)", len(secs)))
			break
		}
		out = append(out, fmt.Sprintf("%d+%ds", s/60, s%60))
	}
	return out
}
