// Package dashboard builds the per-job dashboards the batch-monitoring chart ships: a Grafana
// dashboard (grafana-foundation-sdk types) on the Prometheus series, and a Datadog dashboard on
// the metrics the argo_workflows check collects. Both are built from a Spec that the chart
// package derives from the chart itself (the recipe summary, the recording rules and the
// Datadog check it renders), so the dashboards read exactly what the alerts read.
package dashboard

import "fmt"

// Recipe metric keys (helmtpl.Recipe.Metrics).
const (
	ExitCode           = "exitCode"
	Duration           = "duration"
	LastSuccess        = "lastSuccess"
	StalenessThreshold = "stalenessThreshold"
	// The run-state options' metrics (ArgoMetricsConfig spec.metrics.currentRun and
	// consecutiveFailures).
	CurrentRun          = "currentRun"
	RunTimeFactor       = "runTimeFactor"
	RunTimeLimit        = "runTimeLimit"
	ConsecutiveFailures = "consecutiveFailures"
	FailureThreshold    = "failureThreshold"
)

// Keys are the metrics the dashboards always read when the recipe has them; RunStateKeys
// those they read when the chart's rules record them (the run-state alerts do).
var (
	Keys         = []string{ExitCode, Duration, LastSuccess, StalenessThreshold}
	RunStateKeys = []string{CurrentRun, RunTimeFactor, RunTimeLimit, ConsecutiveFailures, FailureThreshold}
)

// Spec is what the dashboards are built from.
type Spec struct {
	// NS and Job are the label keys of the job's namespace and name.
	NS, Job string
	// Series maps a metric key to the chart's per-job recording rule of it: the job's last known
	// value, held by the rules through controller restarts, leader changes and metricsTTL; for
	// the current run, the leading controller's live value (a held one would not grow).
	Series map[string]string
	// MedianSeries is the chart's recording rule of each job's median duration over
	// MedianWindow (recorded hourly), read back over MedianRange, as the alerts read it.
	MedianSeries, MedianRange, MedianWindow string
	// Datadog maps a metric key to its Datadog name (argo_workflows.<name>), as the chart's
	// check collects it; DatadogTags are the tags of those metrics (the label keys).
	Datadog     map[string]string
	DatadogTags []string
}

// Variable names of both dashboards.
const (
	VarDatasource = "datasource"
	VarNamespace  = "namespace"
	VarJob        = "cronworkflow"
)

// filter is the label matcher of the namespace and CronWorkflow variables.
func (s Spec) filter() string {
	return fmt.Sprintf(`{%s=~"$%s", %s=~"$%s"}`, s.NS, VarNamespace, s.Job, VarJob)
}

// has reports whether the metric is part of the recipe.
func (s Spec) has(key string) bool { return s.Series[key] != "" }

// Last returns the PromQL of a job's last known value of a metric (the rules hold it for
// alerts.lookback after the series stops: controller restart, leader change, metricsTTL).
func (s Spec) Last(key string) string { return s.Series[key] + s.filter() }

// Median returns the PromQL of a job's median duration over MedianWindow (the slow-run alert's
// baseline).
func (s Spec) Median() string {
	return fmt.Sprintf("last_over_time(%s%s[%s])", s.MedianSeries, s.filter(), s.MedianRange)
}

// Current returns the PromQL of a job's current run time: the live series (a held value would
// not grow; absent while a restarted controller has not processed the run).
func (s Spec) Current() string { return s.Series[CurrentRun] + s.filter() }

// Limit returns the PromQL of a job's running-too-long limit, as the chart's alert computes it:
// the lower of its factor times its median duration and its limit, whichever it has.
func (s Spec) Limit() string {
	var terms []string
	if s.has(RunTimeFactor) {
		terms = append(terms, fmt.Sprintf("%s * %s", s.Last(RunTimeFactor), s.Median()))
	}
	if s.has(RunTimeLimit) {
		terms = append(terms, s.Last(RunTimeLimit))
	}
	if len(terms) == 2 {
		return fmt.Sprintf("(%s <= %s) or %s or %s", terms[0], terms[1], terms[1], terms[0])
	}
	return terms[0]
}

// TooLong returns the PromQL of the runs going on now past their limit: the realtime gauge
// stays within 1 s of the duration after a run (test/e2e/README.md), so a run goes while it
// differs from it by more, or exists before any duration.
func (s Spec) TooLong() string {
	cur, dur := s.Current(), s.Last(Duration)
	return fmt.Sprintf("(%s > (%s)) and (abs(%s - %s) > 1 or (%s unless %s))", cur, s.Limit(), cur, dur, cur, dur)
}

// runState reports whether the running-too-long panels have their series.
func (s Spec) runState() bool {
	return s.has(CurrentRun) && s.has(Duration) && (s.has(RunTimeFactor) || s.has(RunTimeLimit))
}

// Query is one query of a panel, as the tests evaluate it.
type Query struct {
	Panel, RefID string
	Expr         string
	Instant      bool // table panels: evaluated once, at the dashboard's end time
}

// Queries are every PromQL query of the Grafana dashboard, panel by panel, in order.
func (s Spec) Queries() []Query {
	var q []Query
	add := func(panel, ref, expr string, instant bool) {
		q = append(q, Query{Panel: panel, RefID: ref, Expr: expr, Instant: instant})
	}
	failing := s.Last(ExitCode) + " > 0"
	add(PanelFailing, "A", failing, true)
	if s.has(LastSuccess) {
		add(PanelFailing, "B", fmt.Sprintf("1000 * %s and %s", s.Last(LastSuccess), failing), true)
	}
	if s.has(ConsecutiveFailures) {
		add(PanelFailing, "C", fmt.Sprintf("%s and %s", s.Last(ConsecutiveFailures), failing), true)
	}
	if s.has(LastSuccess) && s.has(StalenessThreshold) {
		stale := fmt.Sprintf("time() - %s > %s", s.Last(LastSuccess), s.Last(StalenessThreshold))
		add(PanelStale, "A", stale, true)
		add(PanelStale, "B", fmt.Sprintf("1000 * (%s + %s) and (%s)", s.Last(LastSuccess), s.Last(StalenessThreshold), stale), true)
	}
	if s.runState() {
		add(PanelTooLong, "A", s.TooLong(), true)
		add(PanelTooLong, "B", fmt.Sprintf("1000 * (time() - %s) and (%s)", s.Current(), s.TooLong()), true)
	}
	add(PanelOutcome, "A", s.Last(ExitCode), false)
	if s.has(LastSuccess) {
		add(PanelSinceSuccess, "A", "time() - "+s.Last(LastSuccess), false)
		if s.has(StalenessThreshold) {
			add(PanelSinceSuccess, "B", s.Last(StalenessThreshold), false)
		}
	}
	if s.has(Duration) {
		add(PanelDuration, "A", s.Last(Duration), false)
		add(PanelDuration, "B", s.Median(), false)
	}
	if s.runState() {
		add(PanelCurrentRun, "A", s.Current(), false)
		add(PanelCurrentRun, "B", s.Limit(), false)
	}
	return q
}

// Panel titles.
const (
	PanelFailing      = "Failing now"
	PanelStale        = "Not succeeded within threshold now"
	PanelOutcome      = "Outcome of the last run"
	PanelSinceSuccess = "Time since last success and threshold"
	PanelDuration     = "Run duration and median"
	PanelTooLong      = "Running too long now"
	PanelCurrentRun   = "Current run time and limit"
)
