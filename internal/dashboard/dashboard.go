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
)

// Keys are the metrics the dashboards read; the recipe's other metrics are not shown yet.
var Keys = []string{ExitCode, Duration, LastSuccess, StalenessThreshold}

// Spec is what the dashboards are built from.
type Spec struct {
	// NS and Job are the label keys of the job's namespace and name.
	NS, Job string
	// Series maps a metric key to the chart's recording rule of it: one series per job, taken
	// from the leading controller (the raw gauges of a replaced controller pod would outvote
	// the new one's).
	Series map[string]string
	// Lookback is how far back the last known value of a job is held (a controller restart
	// empties its gauges until each job runs again); MedianWindow is the window of the usual
	// duration. Both are the alerts' own settings.
	Lookback, MedianWindow string
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

// Last returns the PromQL of a job's last known value of a metric: one sample per job, held
// for Lookback after the series stops (controller restart, leader change, metricsTTL).
func (s Spec) Last(key string) string {
	return fmt.Sprintf("last_over_time(%s%s[%s])", s.Series[key], s.filter(), s.Lookback)
}

// Median returns the PromQL of a job's median duration over MedianWindow (the slow-run alert's
// baseline).
func (s Spec) Median() string {
	return fmt.Sprintf("quantile_over_time(0.5, %s%s[%s])", s.Series[Duration], s.filter(), s.MedianWindow)
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
	if s.has(LastSuccess) && s.has(StalenessThreshold) {
		stale := fmt.Sprintf("time() - %s > %s", s.Last(LastSuccess), s.Last(StalenessThreshold))
		add(PanelStale, "A", stale, true)
		add(PanelStale, "B", fmt.Sprintf("1000 * (%s + %s) and (%s)", s.Last(LastSuccess), s.Last(StalenessThreshold), stale), true)
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
	return q
}

// Panel titles.
const (
	PanelFailing      = "Failing now"
	PanelStale        = "Not succeeded within threshold now"
	PanelOutcome      = "Outcome of the last run"
	PanelSinceSuccess = "Time since last success and threshold"
	PanelDuration     = "Run duration and median"
)
