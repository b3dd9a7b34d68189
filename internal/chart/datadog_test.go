package chart_test

// What each DatadogMonitor does, from Datadog's documentation:
//
//   - On missing data (docs.datadoghq.com/monitors/guide/on_missing_data): `on_missing_data`
//     replaces `notify_no_data` and `no_data_timeframe` and uses the monitor's own time window.
//     `default` shows the last known status for every aggregation but sum and count (those
//     evaluate as 0); `show_and_notify_no_data` shows No Data and notifies; `resolve` shows OK.
//   - `group_retention_duration` applies to APM, logs, events and similar monitors, not to metric
//     monitors; `timeout_h` auto-resolves a triggered group.
//   - A metric alert query is `time_aggr(window):space_aggr:metric{scope} by {tags} <op> <threshold>`;
//     a change alert is `pct_change(time_aggr(window),shift):...`, the change in percent against
//     the value `shift` earlier, with shift one of last_5m … last_1w... (here last_1h, last_1d, last_1w).
//
// A job's series disappear while a restarted controller has not run the job (the gauges live in
// the leader's memory), so the job monitors must keep the last known status (a failing job stays
// in Alert) and the controller monitor must notify on No Data.

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// ddQuery is a parsed metric monitor query.
type ddQuery struct {
	timeAggr, window, shift string // shift only for pct_change
	terms                   []ddTerm
	op                      string
	threshold               float64
}

type ddTerm struct{ space, metric, scope, by string }

var (
	ddHeadRE = regexp.MustCompile(`^(?:(pct_change)\((\w+)\((last_\w+)\),(last_\w+)\)|(\w+)\((last_\w+)\)):(.+) (>=|<=|>|<) (-?[0-9.]+)$`)
	ddTermRE = regexp.MustCompile(`^(\w+):([\w.]+)\{([^}]*)\}(?: by \{([^}]*)\})?$`)
)

func parseDDQuery(t *testing.T, q string) ddQuery {
	t.Helper()
	m := ddHeadRE.FindStringSubmatch(q)
	if m == nil {
		t.Fatalf("query %q: not a metric alert query", q)
	}
	var d ddQuery
	if m[1] != "" {
		d.timeAggr, d.window, d.shift = m[2], m[3], m[4]
	} else {
		d.timeAggr, d.window = m[5], m[6]
	}
	for _, part := range strings.Split(m[7], " - ") {
		tm := ddTermRE.FindStringSubmatch(part)
		if tm == nil {
			t.Fatalf("query %q: term %q is not space_aggr:metric{scope} by {tags}", q, part)
		}
		d.terms = append(d.terms, ddTerm{tm[1], tm[2], tm[3], tm[4]})
	}
	d.op = m[8]
	d.threshold, _ = strconv.ParseFloat(m[9], 64)
	return d
}

// fires says whether the monitor triggers on value v, as Datadog compares it with the threshold.
func (d ddQuery) fires(v float64) bool {
	switch d.op {
	case ">":
		return v > d.threshold
	case ">=":
		return v >= d.threshold
	case "<":
		return v < d.threshold
	default:
		return v <= d.threshold
	}
}

func windowMinutes(t *testing.T, w string) int {
	t.Helper()
	units := map[byte]int{'m': 1, 'h': 60, 'd': 1440, 'w': 10080}
	s := strings.TrimPrefix(w, "last_")
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || units[s[len(s)-1]] == 0 {
		t.Fatalf("window %q", w)
	}
	return n * units[s[len(s)-1]]
}

// checkMissingData: what a monitor does when its series stop reporting (every scenario).
func (s *settings) checkMissingData(t *testing.T, o chart.Object, jobMonitor bool) {
	opts := o.Body["spec"].(map[string]any)["options"].(map[string]any)
	for _, legacy := range []string{"notifyNoData", "noDataTimeframe", "groupRetentionDuration", "timeoutH"} {
		if _, ok := opts[legacy]; ok {
			t.Errorf("option %s set: replaced by onMissingData, not for metric monitors, or auto-resolving", legacy)
		}
	}
	q := o.Body["spec"].(map[string]any)["query"].(string)
	if strings.Contains(q, "abs(") {
		return // running too long: missing data resolves (TestDatadogRunStateMonitors)
	}
	d := parseDDQuery(t, q)
	if jobMonitor {
		// default keeps the last known status only for aggregations other than sum and count.
		if opts["onMissingData"] != "default" {
			t.Errorf("onMissingData %v: a failing job must stay in Alert while a restarted controller has no series", opts["onMissingData"])
		}
		for _, a := range append([]string{d.timeAggr}, termAggrs(d)...) {
			if a == "sum" || a == "count" {
				t.Errorf("aggregation %s: missing data would evaluate as 0 and resolve the group", a)
			}
		}
		return
	}
	if opts["onMissingData"] != "show_and_notify_no_data" {
		t.Errorf("onMissingData %v: the controller monitor must notify when its series stop", opts["onMissingData"])
	}
	if _, ok := opts["renotifyInterval"]; ok && !containsAny(opts["renotifyStatuses"], "no data") {
		t.Errorf("renotifyStatuses %v: no data is the controller monitor's alert state", opts["renotifyStatuses"])
	}
}

func termAggrs(d ddQuery) []string {
	var out []string
	for _, tm := range d.terms {
		out = append(out, tm.space)
	}
	return out
}

// Each monitor's query, comparator and thresholds against the values the metrics take.
func TestDatadogMonitorsSemantics(t *testing.T) {
	for _, vals := range []map[string]any{
		{"datadog": map[string]any{"monitors": map[string]any{"create": "always"}}},
		scenario(t, "04-monitors-values.yaml"),
		mergeValues(scenario(t, "04-monitors-values.yaml"), map[string]any{"alerts": map[string]any{
			"slowRun": map[string]any{"factor": 3}, "controllerDown": map[string]any{"for": "30m"}}}),
	} {
		f, err := strconv.ParseFloat(toString(get(vals, 2, "alerts", "slowRun", "factor")), 64)
		if err != nil {
			t.Fatal(err)
		}
		ctrlFor := get(vals, "15m", "alerts", "controllerDown", "for").(string)
		baseline := get(vals, "last_1w", "datadog", "monitors", "slowRunBaseline").(string)
		res := render(t, vals)
		seen := map[string]bool{}
		for _, o := range res.OfKind("DatadogMonitor") {
			spec := o.Body["spec"].(map[string]any)
			d := parseDDQuery(t, spec["query"].(string))
			if crit, err := strconv.ParseFloat(str(t, o.Body, "spec", "options", "thresholds", "critical"), 64); err != nil || crit != d.threshold {
				t.Errorf("%s: critical threshold %v (%v) is not the query's %v", o.Name, crit, err, d.threshold)
			}
			metric := func(i int) string { return strings.TrimPrefix(d.terms[i].metric, "argo_workflows.") }
			key := strings.TrimPrefix(o.Name, "batch-monitoring-")
			seen[key] = true
			switch key {
			case "last-run-failed":
				// exit_code is 1 from a failed run until the next success, 0 after a success.
				if len(d.terms) != 1 || metric(0) != "exit_code" || d.timeAggr != "max" || d.terms[0].space != "max" {
					t.Errorf("%s: query %q, want max(...):max:exit_code", key, spec["query"])
				}
				if !d.fires(1) || d.fires(0) {
					t.Errorf("%s: %s %v must trigger on exit_code 1 and not on 0", key, d.op, d.threshold)
				}
			case "not-succeeded":
				// time_elapsed: seconds since the last success, minus the job's threshold.
				if len(d.terms) != 2 || metric(0) != "last_success_timestamp" || metric(1) != "staleness_threshold_seconds" {
					t.Errorf("%s: query %q, want last_success_timestamp - staleness_threshold_seconds", key, spec["query"])
				}
				if !d.fires(1) || d.fires(0) || d.fires(-3600) {
					t.Errorf("%s: %s %v must trigger once the elapsed time exceeds the threshold, not at or before it", key, d.op, d.threshold)
				}
			case "slow-run":
				if len(d.terms) != 1 || metric(0) != "duration" || d.shift != baseline || d.timeAggr != "max" {
					t.Errorf("%s: query %q, want pct_change(max(...),%s):...duration", key, spec["query"], baseline)
				}
				pct := func(ratio float64) float64 { return (ratio - 1) * 100 }
				if !d.fires(pct(f*1.01)) || d.fires(pct(f*0.99)) || d.fires(pct(0.5)) {
					t.Errorf("%s: %s %v must trigger when a run takes more than %v times the baseline, not less", key, d.op, d.threshold, f)
				}
			case "controller-not-exporting":
				// sum of is_leader over the controller pods: 1 with a leader, 0 with standbys only.
				if len(d.terms) != 1 || metric(0) != "is_leader" || d.terms[0].space != "sum" {
					t.Errorf("%s: query %q, want sum:is_leader", key, spec["query"])
				}
				if !d.fires(0) || d.fires(1) {
					t.Errorf("%s: %s %v must trigger with no leader (0), not with one (1)", key, d.op, d.threshold)
				}
				if windowMinutes(t, d.window) != windowMinutes(t, "last_"+ctrlFor) || d.timeAggr != "max" {
					t.Errorf("%s: %s(%s): must hold for alerts.controllerDown.for (%s) throughout", key, d.timeAggr, d.window, ctrlFor)
				}
			default:
				t.Errorf("unexpected monitor %s", o.Name)
			}
		}
		if len(seen) != 4 {
			t.Errorf("monitors %v, want the four", seen)
		}
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// ddEval evaluates a metric query's formula (between "time_aggr(window):" and the comparison)
// for one group, as Datadog computes a query with arithmetic between metrics: each
// `space:metric{scope} by {tags}` term takes that metric's value, with + - * /, parentheses and
// abs() (docs.datadoghq.com/dashboards/functions/arithmetic). Terms must group by want.
func ddEval(t *testing.T, formula string, values map[string]float64, want string) float64 {
	t.Helper()
	p := &ddParser{t: t, s: formula, values: values, by: want}
	v := p.sum()
	if p.s != "" {
		t.Fatalf("formula %q: trailing %q", formula, p.s)
	}
	return v
}

type ddParser struct {
	t      *testing.T
	s      string
	values map[string]float64
	by     string
}

var ddFormulaTermRE = regexp.MustCompile(`^(\w+):argo_workflows\.(\w+)\{([^}]*)\} by \{([^}]*)\}`)

func (p *ddParser) eat(tok string) bool {
	p.s = strings.TrimLeft(p.s, " ")
	if strings.HasPrefix(p.s, tok) {
		p.s = p.s[len(tok):]
		return true
	}
	return false
}

func (p *ddParser) sum() float64 {
	v := p.product()
	for {
		switch {
		case p.eat("+ "):
			v += p.product()
		case p.eat("- "):
			v -= p.product()
		default:
			return v
		}
	}
}

func (p *ddParser) product() float64 {
	v := p.atom()
	for {
		switch {
		case p.eat("* "):
			v *= p.atom()
		case p.eat("/ "):
			v /= p.atom()
		default:
			return v
		}
	}
}

func (p *ddParser) atom() float64 {
	switch {
	case p.eat("abs("):
		v := p.sum()
		if !p.eat(")") {
			p.t.Fatalf("unclosed abs( at %q", p.s)
		}
		return math.Abs(v)
	case p.eat("("):
		v := p.sum()
		if !p.eat(")") {
			p.t.Fatalf("unclosed ( at %q", p.s)
		}
		return v
	}
	if m := ddFormulaTermRE.FindStringSubmatch(p.s); m != nil {
		p.s = p.s[len(m[0]):]
		if m[1] != "max" || m[4] != p.by {
			p.t.Errorf("term %q: want max:...by {%s}", m[0], p.by)
		}
		v, ok := p.values[m[2]]
		if !ok {
			p.t.Fatalf("term %q: no value for %s", m[0], m[2])
		}
		return v
	}
	end := strings.IndexAny(p.s+" ", " )")
	n, err := strconv.ParseFloat(p.s[:end], 64)
	if err != nil {
		p.t.Fatalf("formula at %q: not a term, number, abs( or (", p.s)
	}
	p.s = p.s[end:]
	return n
}

var ddFormulaRE = regexp.MustCompile(`^(\w+)\((last_\w+)\):(.+) (>=|<=|>|<) (-?[0-9.]+)$`)

// The run-state monitors (recipe of examples/run-state/config.yaml), against the values the
// controller's gauges take (test/e2e/README.md): the realtime current_run_seconds grows while a
// run goes and stays within 1 s of duration after it; consecutive_failures counts failed runs in
// a row and restarts from nothing at a controller restart.
func TestDatadogRunStateMonitors(t *testing.T) {
	for _, vals := range []map[string]any{
		mergeValues(runStateValues(t), map[string]any{"datadog": map[string]any{"monitors": map[string]any{"create": "always"}}}),
		mergeValues(mergeValues(scenario(t, "04-monitors-values.yaml"), runStateValues(t)), map[string]any{"datadog": map[string]any{"monitors": map[string]any{"create": "always"}}}),
	} {
		res, err := chart.Render(chartDir, vals, chart.Options{})
		if err != nil {
			t.Fatal(err)
		}
		by := strings.Join(append([]string{"namespace", "cronworkflow"}, toStrings(get(vals, []any{}, "datadog", "monitors", "extraGroupBy"))...), ",")
		seen := map[string]bool{}
		for _, o := range res.OfKind("DatadogMonitor") {
			validateCRD(t, o)
			spec := o.Body["spec"].(map[string]any)
			q := spec["query"].(string)
			key := strings.TrimPrefix(o.Name, "batch-monitoring-")
			seen[key] = true
			crit, _ := strconv.ParseFloat(str(t, o.Body, "spec", "options", "thresholds", "critical"), 64)
			opts := spec["options"].(map[string]any)
			switch key {
			case "running-too-long":
				m := ddFormulaRE.FindStringSubmatch(q)
				if m == nil || m[1] != "max" || m[4] != ">" {
					t.Fatalf("%s: query %q, want max(last_…):<formula> > <threshold>", key, q)
				}
				thr, _ := strconv.ParseFloat(m[5], 64)
				if crit != thr {
					t.Errorf("%s: critical %v is not the query's %v", key, crit, thr)
				}
				fires := func(cur, limit, dur float64) bool {
					return ddEval(t, m[3], map[string]float64{"current_run_seconds": cur, "run_time_limit_seconds": limit, "duration": dur}, by) > thr
				}
				for _, c := range []struct {
					cur, limit, dur float64
					want            bool
					what            string
				}{
					{1201, 1200, 600.4, true, "running, 1 s past the limit"},
					{5000, 1200, 600.4, true, "running, far past the limit"},
					{1200, 1200, 600.4, false, "running, at the limit"},
					{900, 1200, 600.4, false, "running, within the limit"},
					{3000, 1200, 3000.4, false, "ended past the limit: the gauge stays at its whole seconds"},
					{3001, 1200, 3000.4, false, "ended, 0.6 s off its duration"},
					{1300, 1200, 1298, true, "running, 2 s past the last run's duration"},
					{1300, 1200, 5000.4, true, "running, shorter than the last (slow) run"},
				} {
					if got := fires(c.cur, c.limit, c.dur); got != c.want {
						t.Errorf("%s: %s (current %v, limit %v, duration %v): fires %v, want %v", key, c.what, c.cur, c.limit, c.dur, got, c.want)
					}
				}
				if opts["onMissingData"] != "resolve" {
					t.Errorf("%s: onMissingData %v: a restarted controller exports no current run until it processes one; the state is unknown, not alerting", key, opts["onMissingData"])
				}
			case "consecutive-failures":
				d := parseDDQuery(t, q)
				if len(d.terms) != 2 || d.terms[0].metric != "argo_workflows.consecutive_failures" || d.terms[1].metric != "argo_workflows.consecutive_failures_threshold" || d.timeAggr != "max" || d.terms[0].by != by || d.terms[1].by != by {
					t.Errorf("%s: query %q, want max(...):max:consecutive_failures - max:consecutive_failures_threshold by {%s}", key, q, by)
				}
				if crit != d.threshold {
					t.Errorf("%s: critical %v is not the query's %v", key, crit, d.threshold)
				}
				// count - threshold: N-1 of N is -1, N of N is 0, N+1 is 1.
				if !d.fires(0) || !d.fires(1) || d.fires(-1) || d.fires(-3) {
					t.Errorf("%s: %s %v must trigger from the Nth failure in a row, not at N-1", key, d.op, d.threshold)
				}
				s := &settings{}
				s.checkMissingData(t, o, true)
			}
		}
		if !seen["running-too-long"] || !seen["consecutive-failures"] || len(seen) != 6 {
			t.Errorf("monitors %v, want the four and the two run-state ones", seen)
		}
		// Off in the chart values: not rendered.
		res, err = chart.Render(chartDir, mergeValues(vals, map[string]any{"alerts": map[string]any{
			"runningTooLong": map[string]any{"enabled": false}, "consecutiveFailures": map[string]any{"enabled": false}}}), chart.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.OfKind("DatadogMonitor")); n != 4 {
			t.Errorf("%d monitors with the run-state alerts off, want 4", n)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// The monitors on kubernetes_state_core's custom resource metrics (datadog.kubeStateMetricsCore):
// argo_cronworkflow_suspended is 1 while spec.suspend, else 0, for as long as the CronWorkflow
// exists; argo_cronworkflow_condition is 1 per condition the controller holds and has no series
// otherwise. The Cluster Agent names them kubernetes_state_customresource.<name> and tags the
// CronWorkflow's namespace kube_namespace (cr.go and kubernetes_state_defaults.go of
// datadog-agent; Datadog's "Collect custom resource metrics using Kubernetes State Core check").
func TestDatadogStateMonitors(t *testing.T) {
	for _, vals := range []map[string]any{
		{"datadog": map[string]any{"kubeStateMetricsCore": map[string]any{"enabled": true}, "monitors": map[string]any{"create": "always"}}},
		mergeValues(scenario(t, "04-monitors-values.yaml"), map[string]any{
			"datadog": map[string]any{"kubeStateMetricsCore": map[string]any{"enabled": true}},
			"alerts":  map[string]any{"suspended": map[string]any{"after": "36h"}}}),
	} {
		after := get(vals, "7d", "alerts", "suspended", "after").(string)
		wantWindow := map[string]int{"7d": 7 * 1440, "36h": 36 * 60}[after]
		by := strings.Join(append([]string{"kube_namespace", "cronworkflow"}, toStrings(get(vals, []any{}, "datadog", "monitors", "extraGroupBy"))...), ",")
		seen := map[string]bool{}
		for _, o := range render(t, vals).OfKind("DatadogMonitor") {
			validateCRD(t, o)
			key := strings.TrimPrefix(o.Name, "batch-monitoring-")
			spec := o.Body["spec"].(map[string]any)
			opts := spec["options"].(map[string]any)
			d := parseDDQuery(t, spec["query"].(string))
			if crit, err := strconv.ParseFloat(str(t, o.Body, "spec", "options", "thresholds", "critical"), 64); err != nil || crit != d.threshold {
				t.Errorf("%s: critical %v (%v) is not the query's %v", key, crit, err, d.threshold)
			}
			switch key {
			case "suspended":
				seen[key] = true
				// Suspended throughout the window: its minimum is 1.
				if len(d.terms) != 1 || d.terms[0].metric != "kubernetes_state_customresource.argo_cronworkflow_suspended" || d.terms[0].by != by || d.timeAggr != "min" {
					t.Errorf("%s: query %q, want min(...):...argo_cronworkflow_suspended by {%s}", key, spec["query"], by)
				}
				if !d.fires(1) || d.fires(0) {
					t.Errorf("%s: %s %v must trigger on 1 (suspended throughout), not 0", key, d.op, d.threshold)
				}
				if windowMinutes(t, d.window) != wantWindow {
					t.Errorf("%s: window %s, want alerts.suspended.after (%s)", key, d.window, after)
				}
				// A series younger than the window (a job suspended at its creation) must not
				// trigger on the part of the window it covers.
				if opts["requireFullWindow"] != true {
					t.Errorf("%s: requireFullWindow %v: a job created suspended would trigger at once", key, opts["requireFullWindow"])
				}
			case "spec-error":
				seen[key] = true
				if len(d.terms) != 1 || d.terms[0].metric != "kubernetes_state_customresource.argo_cronworkflow_condition" || d.terms[0].by != by+",type" || d.timeAggr != "max" {
					t.Errorf("%s: query %q, want max(...):...argo_cronworkflow_condition by {%s,type}", key, spec["query"], by)
				}
				if !d.fires(1) || d.fires(0) {
					t.Errorf("%s: %s %v must trigger on a held condition (1)", key, d.op, d.threshold)
				}
				if opts["requireFullWindow"] != false {
					t.Errorf("%s: requireFullWindow %v", key, opts["requireFullWindow"])
				}
			default:
				continue
			}
			// A cleared condition and a deleted job leave no series: that must resolve.
			if opts["onMissingData"] != "resolve" {
				t.Errorf("%s: onMissingData %v: its series stop when the state clears", key, opts["onMissingData"])
			}
			if !strings.Contains(spec["message"].(string), "{{kube_namespace.name}}") {
				t.Errorf("%s: the message does not name the namespace by kube_namespace", key)
			}
		}
		if !seen["suspended"] || !seen["spec-error"] {
			t.Errorf("monitors %v, want suspended and spec-error", seen)
		}
	}
}
