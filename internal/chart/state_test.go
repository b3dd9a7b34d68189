package chart_test

// The CronWorkflows' state as kube-state-metrics exports it with the chart's configuration, fed
// to the chart's rules next to the controller's series (rules_test.go evaluates them with
// promtool on every flavour). What the controller writes into a CronWorkflow's status, and when,
// is modelled on its source (workflow/cron/operator.go of v3.5 to v4.0) and on what the e2e tests
// measure on the real controller and kube-state-metrics (test/e2e/README.md): lastScheduledTime
// is the scheduled time of the last run it started and moves only then; phase exists from the
// first run (v3.6+) and turns Stopped when a stopStrategy fires; conditions come and go with the
// controller's runs. Every expected firing window is written out by hand, in minutes.

import "math"

// cron is one CronWorkflow as kube-state-metrics exports it, minute by minute.
type cron struct {
	ns, job string
	// created: the minute of metadata.creationTimestamp; its series exist from then until
	// deleted (0: never deleted).
	created, deleted int
	// threshold: the staleness threshold argo-metrics-gen wrote into its metrics, in seconds
	// (0: none, a CronWorkflow without our metrics).
	threshold float64
	// scheduled: the minutes at which the controller started a run (its scheduled time).
	scheduled []int
	// suspended: [from, to) with spec.suspend true.
	suspended [][2]int
	// stoppedAt: status.phase is Stopped from this minute (0: never).
	stoppedAt  int
	conditions []condition
}

// condition is one status condition, held during [from, to).
type condition struct {
	from, to     int
	typ, message string
}

func inRanges(t int, rs [][2]int) bool {
	for _, r := range rs {
		if r[0] <= t && t < r[1] {
			return true
		}
	}
	return false
}

// ksmSeries returns kube-state-metrics' series of the scenario's CronWorkflows, scraped every
// minute (nothing while sc.ksmDown), labelled as the flavour stores them.
func (sc ruleScenario) ksmSeries(f flavour) []scrapedSeries {
	var out []scrapedSeries
	for _, c := range sc.crons {
		labels := func(name string, extra ...string) map[string]string {
			l := map[string]string{}
			for k, v := range f.ksmTarget {
				l[k] = v
			}
			l[f.ksmNsKey] = c.ns
			l["cronworkflow"] = c.job
			l["customresource_group"], l["customresource_kind"], l["customresource_version"] = "argoproj.io", "CronWorkflow", "v1alpha1"
			for i := 0; i+1 < len(extra); i += 2 {
				l[extra[i]] = extra[i+1]
			}
			l["__name__"] = "argo_cronworkflow_" + name
			return l
		}
		series := func(l map[string]string, value func(t int) float64) {
			vals := make([]float64, sc.minutes)
			for t := range vals {
				vals[t] = math.NaN()
				if t >= c.created && (c.deleted == 0 || t < c.deleted) && !inRanges(t, sc.ksmDown) {
					vals[t] = value(t)
				}
			}
			out = append(out, scrapedSeries{l, vals})
		}
		lastScheduled := func(t int) float64 {
			last := 0.0
			for _, s := range c.scheduled {
				if s <= t {
					last = float64(s * 60)
				}
			}
			return last
		}
		stopped := func(t int) bool { return c.stoppedAt > 0 && t >= c.stoppedAt }
		series(labels("suspended"), func(t int) float64 { return b2f(inRanges(t, c.suspended)) })
		series(labels("last_scheduled_time_seconds"), lastScheduled)
		series(labels("created_time_seconds"), func(int) float64 { return float64(c.created * 60) })
		// status.phase: none before the first run, Active from it, Stopped once stopped.
		hasPhase := func(t int) bool { return lastScheduled(t) > 0 || stopped(t) }
		for _, phase := range []string{"Active", "Stopped"} {
			series(labels("phase", "phase", phase), func(t int) float64 {
				if !hasPhase(t) {
					return math.NaN()
				}
				return b2f(stopped(t) == (phase == "Stopped"))
			})
		}
		if c.threshold > 0 {
			series(labels("staleness_threshold_seconds"), func(int) float64 { return c.threshold })
		}
		for _, cd := range c.conditions {
			series(labels("condition", "type", cd.typ, "message", cd.message), func(t int) float64 {
				if t < cd.from || t >= cd.to {
					return math.NaN()
				}
				return 1
			})
		}
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// every returns the minutes from, from+step, ... below to.
func every(from, to, step int) []int {
	var out []int
	for t := from; t < to; t += step {
		out = append(out, t)
	}
	return out
}

// runsAt returns successful runs of a job completing at the given minutes.
func runsAt(ns, job string, threshold float64, minutes ...int) []run {
	var out []run
	for _, m := range minutes {
		out = append(out, run{at: m, ns: ns, job: job, threshold: threshold})
	}
	return out
}

// suspendedAfter2h reports a job suspended for more than 2 hours.
var suspendedAfter2h = map[string]any{"alerts": map[string]any{"suspended": map[string]any{"after": "2h"}}}

const stopMsg = "failed to check CronWorkflow 'broken' stopping condition: failed to evaluate stop expression: unexpected token EOF"

var stateScenarios = []ruleScenario{
	{
		name:    "suspended: not-succeeded and missed-schedule silent while suspended and for a threshold after the resume; reported once suspended for 2h",
		minutes: 700,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 700)},
		runs:    append(runsAt("data", "hourly", 7200, 60), runsAt("data", "other", 7200, 60)...),
		crons: []cron{
			// Last run at minute 60, threshold 2 h, suspended from 100 until 400: without
			// kube-state-metrics both alerts would fire from 181. Last seen suspended at 399:
			// quiet until 399 + 120 = 519.
			{ns: "data", job: "hourly", threshold: 7200, scheduled: []int{60}, suspended: [][2]int{{100, 400}}},
			// The same, never suspended: both fire from 181.
			{ns: "data", job: "other", threshold: 7200, scheduled: []int{60}},
		},
		fire: map[string][]window{
			alertStale:     {{519, 700, "data", "hourly"}, {181, 700, "data", "other"}},
			alertMissed:    {{519, 700, "data", "hourly"}, {181, 700, "data", "other"}},
			alertSuspended: {{220, 400, "data", "hourly"}},
		},
	},
	{
		name:    "stopped by its stopStrategy: quiet for good",
		minutes: 500,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 500)},
		runs:    runsAt("data", "capped", 7200, 60, 120),
		// Without kube-state-metrics not-succeeded would fire from 241.
		crons: []cron{{ns: "data", job: "capped", threshold: 7200, scheduled: []int{60, 120}, stoppedAt: 130}},
	},
	{
		name:    "never started since its creation (a timezone typo): missed schedule a threshold after the creation",
		minutes: 300,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 300)},
		// No run, so no controller series: not-succeeded cannot see it.
		crons: []cron{{ns: "data", job: "tz", created: 30, threshold: 7200}},
		fire:  map[string][]window{alertMissed: {{151, 300, "data", "tz"}}},
	},
	{
		name:    "controller down over three scheduled times: missed schedule a threshold after the last start, until the next one",
		minutes: 800,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 200), leader("ctrl-b", 500, 800)},
		// Hourly, threshold 1.5 h, last started at 180; no startingDeadlineSeconds, so the
		// restarted controller starts the next run at 540.
		runs:  runsAt("data", "hourly", 5400, 60, 120, 180, 540, 600, 660, 720, 780),
		crons: []cron{{ns: "data", job: "hourly", threshold: 5400, scheduled: []int{60, 120, 180, 540, 600, 660, 720, 780}}},
		fire: map[string][]window{
			alertMissed:     {{271, 540, "data", "hourly"}},
			alertStale:      {{271, 540, "data", "hourly"}},
			alertController: {{215, 500, "", ""}},
		},
	},
	{
		name:    "spec and submission errors fire with the controller's message while the condition is held",
		minutes: 400,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 400)},
		runs:    runsAt("billing", "broken", 7200, every(10, 400, 60)...),
		crons: []cron{
			// Its stopStrategy cannot be evaluated: SpecError, and no run after 10.
			{ns: "data", job: "broken", threshold: 7200, scheduled: []int{10}, conditions: []condition{{100, 300, "SpecError", stopMsg}}},
			// One submission refused, then accepted again.
			{ns: "billing", job: "broken", threshold: 7200, scheduled: every(10, 400, 60),
				conditions: []condition{{150, 200, "SubmissionError", "Failed to submit Workflow: admission webhook denied the request"}}},
		},
		fire: map[string][]window{
			alertSpecError: {{100, 300, "data", "broken"}, {150, 200, "billing", "broken"}},
			alertMissed:    {{131, 400, "data", "broken"}},
		},
		labels: map[string]map[string]string{
			alertSpecError + " data/broken":    {"type": "SpecError", "message": stopMsg},
			alertSpecError + " billing/broken": {"type": "SubmissionError", "message": "Failed to submit Workflow: admission webhook denied the request"},
		},
	},
	{
		name:    "deleted jobs, the same name in two namespaces, a CronWorkflow without our metrics",
		minutes: 400,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 400)},
		crons: []cron{
			// Never started, threshold 1 h: missed from 61 until it is deleted at 200.
			{ns: "data", job: "removed", threshold: 3600, deleted: 200},
			// Suspended from its creation until deleted at 250.
			{ns: "data", job: "paused", threshold: 7200, suspended: [][2]int{{0, 1000}}, deleted: 250},
			// The same name in two namespaces: one never started, one on schedule.
			{ns: "data", job: "nightly", threshold: 3600},
			{ns: "billing", job: "nightly", threshold: 3600, scheduled: every(0, 400, 30)},
			// No threshold in its spec: no missed-schedule alert.
			{ns: "data", job: "manual"},
		},
		fire: map[string][]window{
			alertMissed:    {{61, 200, "data", "removed"}, {61, 400, "data", "nightly"}},
			alertSuspended: {{120, 250, "data", "paused"}},
		},
	},
	{
		name:    "kube-state-metrics down for 30 minutes while a job is suspended: not-succeeded stays silent; the suspended alert counts again",
		minutes: 700,
		values:  suspendedAfter2h,
		pods:    []pod{leader("ctrl-a", 0, 700)},
		runs:    runsAt("data", "hourly", 7200, 60),
		ksmDown: [][2]int{{200, 230}},
		// Suspended from 100 to 600: last seen at 199 before the gap (carried until 319), at
		// 599 after.
		crons: []cron{{ns: "data", job: "hourly", threshold: 7200, scheduled: []int{60}, suspended: [][2]int{{100, 600}}}},
		fire:  map[string][]window{alertSuspended: {{350, 600, "data", "hourly"}}},
	},
}

// concatScenarios returns the scenario lists one after the other.
func concatScenarios(lists ...[]ruleScenario) []ruleScenario {
	var out []ruleScenario
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
