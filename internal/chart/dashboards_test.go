package chart_test

// The dashboards the chart ships. Every PromQL query of the Grafana dashboard, read from the
// committed file, is evaluated by Prometheus' engine (`promtool test rules`, the same cached
// build that judges the chart's alerts) together with the chart's own rules, on scripted
// series: a failing job, a stale job, a controller restart, one job name in two namespaces.
// The expected rows are written out by hand below.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	dash "github.com/argo-metrics-gen/argo-metrics-gen/internal/dashboard"
)

// grafanaDashboard reads the committed Grafana dashboard into the SDK's types, as the SDK
// documents (plugins registered, json.Unmarshal: panels' options and targets decode into their
// plugin types). Strict decoding is used for the dashboard's own fields only: in v0.0.22 the
// strict decoders of panels, options and targets drop them silently (they return an empty
// cog.BuildErrors, which their callers take for a failure). TestGrafanaDashboardRoundTrip
// makes up for it: a field unknown to the types would be lost on re-encoding.
func grafanaDashboard(t *testing.T) (dashboard.Dashboard, []byte) {
	t.Helper()
	plugins.RegisterDefaultPlugins()
	raw, err := os.ReadFile(filepath.Join(chartDir, chart.GrafanaDashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	var d, strict dashboard.Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", chart.GrafanaDashboardFile, err)
	}
	if err := strictErr(strict.UnmarshalJSONStrict(raw)); err != nil {
		t.Fatalf("%s does not decode strictly into the SDK's Dashboard: %v", chart.GrafanaDashboardFile, err)
	}
	return d, raw
}

// strictErr drops the SDK's typed-nil error: UnmarshalJSONStrict returns an empty
// cog.BuildErrors (non-nil as an error) when decoding succeeds.
func strictErr(err error) error {
	if be, ok := err.(cog.BuildErrors); ok && len(be) == 0 {
		return nil
	}
	return err
}

type panelQuery struct {
	panel, ref, expr string
	instant          bool
}

// grafanaQueries returns every query of every panel, in order.
func grafanaQueries(t *testing.T, d dashboard.Dashboard) []panelQuery {
	t.Helper()
	var out []panelQuery
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		for _, target := range p.Panel.Targets {
			q, ok := target.(*prometheus.Dataquery)
			if !ok {
				if v, ok2 := target.(prometheus.Dataquery); ok2 {
					q, ok = &v, true
				}
			}
			if !ok {
				t.Fatalf("panel %q: target %T is not a Prometheus query", deref(p.Panel.Title), target)
			}
			out = append(out, panelQuery{panel: deref(p.Panel.Title), ref: deref(q.RefId), expr: q.Expr, instant: q.Instant != nil && *q.Instant})
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// The committed dashboard round-trips through the SDK: strict decoding, validation, and
// re-encoding to the same document.
func TestGrafanaDashboardRoundTrip(t *testing.T) {
	d, raw := grafanaDashboard(t)
	if err := d.Validate(); err != nil {
		t.Errorf("SDK validation: %v", err)
	}
	again, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("re-encoding the decoded dashboard changes it:\n%s", again)
	}
	// Every panel's options decoded into its plugin's type (a panel type unknown to the SDK
	// would stay a map).
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		if _, isMap := p.Panel.Options.(map[string]any); isMap || p.Panel.Options == nil {
			t.Errorf("panel %q: options %T, not its plugin's type", deref(p.Panel.Title), p.Panel.Options)
		}
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	if strings.Join(vars, ",") != "datasource,namespace,cronworkflow" {
		t.Errorf("variables %v, want datasource, namespace, cronworkflow", vars)
	}
	// The variables' queries read an exported metric, or a series the chart's rules record, by
	// the recipe's labels.
	known := map[string]bool{}
	for _, r := range renderedRules(t) {
		if rec, ok := r["record"].(string); ok {
			known[rec] = true
		}
	}
	for _, v := range d.Templating.List[1:] {
		m := regexp.MustCompile(`^label_values\((.*), (\w+)\)$`).FindStringSubmatch(deref(v.Query.String))
		if m == nil {
			t.Fatalf("variable %s: query %v is not label_values(selector, label)", v.Name, v.Query)
		}
		sel, err := parser.ParseExpr(m[1])
		if err != nil {
			t.Fatalf("variable %s: %v", v.Name, err)
		}
		vs, ok := sel.(*parser.VectorSelector)
		if !ok || !(strings.HasPrefix(vs.Name, "argo_workflows_") || known[vs.Name]) || m[2] != v.Name {
			t.Errorf("variable %s: %q reads neither an exported nor a recorded series by its label", v.Name, deref(v.Query.String))
		}
	}
}

// renderedRules returns the rules of the chart's PrometheusRule with default values, without
// annotations (promtool would compare their texts).
func renderedRules(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, o := range render(t, nil, apiPrometheusRule).OfKind("PrometheusRule") {
		groups, _ := chart.Path(o.Body, "spec", "groups")
		gs, _ := groups.([]any)
		for _, g := range gs {
			rules, _ := chart.Path(g, "rules")
			rs, _ := rules.([]any)
			for _, r := range rs {
				rule := r.(map[string]any)
				delete(rule, "annotations")
				out = append(out, rule)
			}
		}
	}
	return out
}

// series is one scripted input series of promtool (1m interval, minutes 0..119: 45 before the
// controller restart, 11 missing while it restarts, 64 after).
type series struct {
	metric, ns, job, values string
}

// Scripted jobs, minute by minute. The controller restarts at minute 45 (its gauges vanish)
// and is back at 56; only jobs that run again reappear.
//   - team-a/nightly: succeeded (last success at 600 s), fails from minute 66: failing now.
//   - team-b/nightly: the same name in another namespace, fine: never in the fleet tables.
//   - team-b/report: last success at 60 s, threshold 1800 s: stale now (overdue since 1860 s).
//   - team-a/restarted: failed before the restart and has not run since: still failing now.
//   - team-a/recovered: failed before the restart, succeeded after it: not failing now.
const (
	before = "x44 _x11 "
	all    = before + "%[1]vx63"
)

func dashboardSeries() []series {
	c := func(v any) string { return fmt.Sprintf("%[1]v"+all, v) }
	return []series{
		{"exit_code", "team-a", "nightly", "0x44 _x11 0x9 1x53"},
		{"last_success_timestamp", "team-a", "nightly", c(600)},
		{"staleness_threshold_seconds", "team-a", "nightly", c(86400)},
		{"duration", "team-a", "nightly", "100x44 _x11 100x39 250x23"},

		{"exit_code", "team-b", "nightly", c(0)},
		{"last_success_timestamp", "team-b", "nightly", c(6600)},
		{"staleness_threshold_seconds", "team-b", "nightly", c(3600)},
		{"duration", "team-b", "nightly", c(80)},

		{"exit_code", "team-b", "report", c(0)},
		{"last_success_timestamp", "team-b", "report", c(60)},
		{"staleness_threshold_seconds", "team-b", "report", c(1800)},
		{"duration", "team-b", "report", c(30)},

		{"exit_code", "team-a", "restarted", "1x44"},
		{"last_success_timestamp", "team-a", "restarted", "300x44"},
		{"staleness_threshold_seconds", "team-a", "restarted", "86400x44"},
		{"duration", "team-a", "restarted", "50x44"},

		{"exit_code", "team-a", "recovered", "1" + before + "0x63"},
		{"last_success_timestamp", "team-a", "recovered", "100" + before + "3360x63"},
		{"staleness_threshold_seconds", "team-a", "recovered", c(86400)},
		{"duration", "team-a", "recovered", c(40)},
	}
}

// A check: the panel's query, with the variables set, at a minute, returns exactly these rows
// (namespace/job -> value).
type dashCheck struct {
	panel, ref string
	ns, job    string // variable values; "" is All
	at         int
	rows       map[string]float64
}

// The end of the scenario: minute 119, time() = 7140.
const end = 119

var dashChecks = []dashCheck{
	// Fleet: failing now, and the last success of each failing job (ms, for dateTimeFromNow).
	{dash.PanelFailing, "A", "", "", end, map[string]float64{"team-a/nightly": 1, "team-a/restarted": 1}},
	{dash.PanelFailing, "B", "", "", end, map[string]float64{"team-a/nightly": 600000, "team-a/restarted": 300000}},
	{dash.PanelFailing, "A", "team-a", "nightly", end, map[string]float64{"team-a/nightly": 1}},
	{dash.PanelFailing, "A", "team-b", "nightly", end, map[string]float64{}},
	{dash.PanelFailing, "A", "", "", 30, map[string]float64{"team-a/restarted": 1, "team-a/recovered": 1}},
	{dash.PanelFailing, "A", "", "", 50, map[string]float64{"team-a/restarted": 1, "team-a/recovered": 1}},
	// Fleet: stale now (seconds since success), and since when (ms).
	{dash.PanelStale, "A", "", "", end, map[string]float64{"team-b/report": 7140 - 60}},
	{dash.PanelStale, "B", "", "", end, map[string]float64{"team-b/report": (60 + 1800) * 1000}},
	{dash.PanelStale, "A", "team-a", "", end, map[string]float64{}},
	{dash.PanelStale, "A", "", "", 40, map[string]float64{"team-b/report": 2400 - 60}},
	// Per job: every job's last outcome, held through the restart gap.
	{dash.PanelOutcome, "A", "", "", end, map[string]float64{"team-a/nightly": 1, "team-b/nightly": 0, "team-b/report": 0, "team-a/restarted": 1, "team-a/recovered": 0}},
	{dash.PanelOutcome, "A", "", "", 50, map[string]float64{"team-a/nightly": 0, "team-b/nightly": 0, "team-b/report": 0, "team-a/restarted": 1, "team-a/recovered": 1}},
	{dash.PanelOutcome, "A", "", "nightly", end, map[string]float64{"team-a/nightly": 1, "team-b/nightly": 0}},
	{dash.PanelSinceSuccess, "A", "", "", end, map[string]float64{"team-a/nightly": 7140 - 600, "team-b/nightly": 7140 - 6600, "team-b/report": 7140 - 60, "team-a/restarted": 7140 - 300, "team-a/recovered": 7140 - 3360}},
	{dash.PanelSinceSuccess, "B", "", "", end, map[string]float64{"team-a/nightly": 86400, "team-b/nightly": 3600, "team-b/report": 1800, "team-a/restarted": 86400, "team-a/recovered": 86400}},
	{dash.PanelDuration, "A", "", "", end, map[string]float64{"team-a/nightly": 250, "team-b/nightly": 80, "team-b/report": 30, "team-a/restarted": 50, "team-a/recovered": 40}},
	{dash.PanelDuration, "B", "", "", end, map[string]float64{"team-a/nightly": 100, "team-b/nightly": 80, "team-b/report": 30, "team-a/restarted": 50, "team-a/recovered": 40}},
	{dash.PanelDuration, "B", "team-b", "", end, map[string]float64{"team-b/nightly": 80, "team-b/report": 30}},
}

func TestGrafanaQueriesEvaluated(t *testing.T) {
	d, _ := grafanaDashboard(t)
	queries := grafanaQueries(t, d)
	rc, err := chart.Recipe(chartDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	nsKey, jobKey := rc.NamespaceLabel, rc.NameLabel
	byRef := map[string]panelQuery{}
	covered := map[string]bool{}
	for _, q := range queries {
		byRef[q.panel+"/"+q.ref] = q
		if _, err := parser.ParseExpr(substitute(q.expr, "", "")); err != nil {
			t.Errorf("%s %s: %v\n%s", q.panel, q.ref, err, q.expr)
		}
	}

	// The chart's rules (recording rules included) run alongside, as in a real Prometheus.
	rules := []any{}
	for _, r := range renderedRules(t) {
		rules = append(rules, r)
	}
	groups := []any{map[string]any{"name": "batch-monitoring", "rules": rules}}
	var input []any
	target := `instance="10.0.3.7:9090", job="monitoring/batch-monitoring-controller", pod="workflow-controller-5d9f", container="controller", endpoint="metrics"`
	for _, s := range dashboardSeries() {
		input = append(input, map[string]any{
			"series": fmt.Sprintf(`%s%s{%s=%q, %s=%q, %s}`, rc.Prefix, s.metric, nsKey, s.ns, jobKey, s.job, target),
			"values": s.values,
		})
	}
	input = append(input, map[string]any{"series": "argo_workflows_is_leader{" + target + "}", "values": "1" + before + "1x63"})

	var exprTests []any
	for _, c := range dashChecks {
		q, ok := byRef[c.panel+"/"+c.ref]
		if !ok {
			t.Errorf("the dashboard has no query %s of panel %q", c.ref, c.panel)
			continue
		}
		covered[c.panel+"/"+c.ref] = true
		samples := []any{}
		for row, v := range c.rows {
			ns, job, _ := strings.Cut(row, "/")
			samples = append(samples, map[string]any{"labels": fmt.Sprintf(`{%s=%q, %s=%q}`, nsKey, ns, jobKey, job), "value": v})
		}
		// Rows as the panel shows them: tables hide the metric name (organize), graphs name
		// series by their legend; so the name is dropped before comparing.
		expr := fmt.Sprintf(`label_replace(%s, "__name__", "", "", "")`, substitute(q.expr, c.ns, c.job))
		exprTests = append(exprTests, map[string]any{"expr": expr, "eval_time": fmt.Sprintf("%dm", c.at), "exp_samples": samples})
	}
	for _, q := range queries {
		if !covered[q.panel+"/"+q.ref] {
			t.Errorf("query %s of panel %q is not evaluated by any check", q.ref, q.panel)
		}
	}
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": groups})
	tf := filepath.Join(dir, "test.yaml")
	writeYAML(t, tf, map[string]any{
		"rule_files":          []string{"rules.yaml"},
		"evaluation_interval": "1m",
		"tests":               []any{map[string]any{"interval": "1m", "input_series": input, "promql_expr_test": exprTests}},
	})
	out, err := exec.Command(promtool(t), "test", "rules", tf).CombinedOutput()
	if err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, trimOutput(out))
	}
}

// substitute sets the dashboard variables as Grafana does: All is ".*".
func substitute(expr, ns, job string) string {
	if ns == "" {
		ns = ".*"
	}
	if job == "" {
		job = ".*"
	}
	return strings.NewReplacer("$"+dash.VarNamespace, ns, "$"+dash.VarJob, job).Replace(expr)
}

// checkGrafanaConfigMap: the sidecar's label, the namespace and folder asked for, and as the only
// data the dashboard internal/dashboard builds for these values (DashboardSpec: from the rules
// and the check this chart renders with them), which the chart assembles from its catalog.
func (s *settings) checkGrafanaConfigMap(t *testing.T, o chart.Object) {
	g := func(def any, keys ...string) any {
		return get(s.vals, def, append([]string{"dashboards", "grafana"}, keys...)...)
	}
	if ns := g("", "namespace").(string); ns != "" && o.Namespace != ns || ns == "" && o.Namespace != s.releaseNS {
		t.Errorf("Grafana ConfigMap in namespace %q", o.Namespace)
	}
	if v, _ := chart.Path(o.Body, "metadata", "labels", g("grafana_dashboard", "label").(string)); v != g("1", "labelValue") {
		t.Errorf("label %v=%v, want the sidecar's", g("grafana_dashboard", "label"), v)
	}
	if folder := g("", "folder").(string); folder != "" {
		if v, _ := chart.Path(o.Body, "metadata", "annotations", g("grafana_folder", "folderAnnotation").(string)); v != folder {
			t.Errorf("folder annotation %v, want %q", v, folder)
		}
	}
	data, _ := o.Body["data"].(map[string]any)
	got, _ := data["batch-monitoring-cronworkflows.json"].(string)
	if len(data) != 1 || got == "" {
		t.Fatalf("ConfigMap data: %d keys, want the dashboard only", len(data))
	}
	spec, err := chart.DashboardSpec(chartDir, s.vals)
	if err != nil {
		t.Fatal(err)
	}
	want, err := dash.GrafanaJSON(spec)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "the ConfigMap's Grafana dashboard", []byte(got), want)
}

// sameJSON fails unless got and want are the same JSON value, naming the first difference.
func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if path := firstDiff(g, w, ""); path != "" {
		t.Errorf("%s differs from internal/dashboard's for these values at %s", what, path)
	}
}

// firstDiff returns the path of the first difference between two decoded JSON values ("" if none).
func firstDiff(a, b any, path string) string {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return path + " (keys)"
		}
		for k, v := range a {
			if d := firstDiff(v, bm[k], path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return path + " (length)"
		}
		for i := range a {
			if d := firstDiff(a[i], bl[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s (%v != %v)", path, a, b)
	}
	return ""
}

// checkDatadogDashboard: the object carries the dashboard internal/dashboard builds for these
// values, and its queries read only what the rendered check collects.
func (s *settings) checkDatadogDashboard(t *testing.T, o chart.Object) {
	if ns := get(s.vals, "", "dashboards", "datadog", "namespace").(string); ns != "" && o.Namespace != ns || ns == "" && o.Namespace != s.releaseNS {
		t.Errorf("DatadogDashboard in namespace %q", o.Namespace)
	}
	spec, err := chart.DashboardSpec(chartDir, s.vals)
	if err != nil {
		t.Fatal(err)
	}
	file := dash.Datadog(spec)
	var widgets []dash.DatadogWidget
	if err := json.Unmarshal([]byte(str(t, o.Body, "spec", "widgets")), &widgets); err != nil {
		t.Fatalf("spec.widgets: %v", err)
	}
	if !reflect.DeepEqual(widgets, file.Widgets) {
		t.Errorf("spec.widgets differ from internal/dashboard's for these values")
	}
	if str(t, o.Body, "spec", "title") != file.Title || str(t, o.Body, "spec", "layoutType") != file.LayoutType {
		t.Errorf("title or layout differ from internal/dashboard's")
	}
	vars, _ := chart.Path(o.Body, "spec", "templateVariables")
	b, _ := json.Marshal(vars)
	var got []dash.DatadogVariable
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, file.TemplateVariables) {
		t.Errorf("templateVariables %s differ from internal/dashboard's %v (%v)", b, file.TemplateVariables, err)
	}
	file.Widgets = widgets
	checkDatadogQueries(t, file, s.ddNames, s.ddTags())
}

// ddTags are the tags the check puts on our metrics: their Prometheus labels, renamed by the
// check's rename_labels (integrations-core argo_workflows: version -> go_version), and the
// instance's tags.
func (s *settings) ddTags() map[string]bool {
	tags := map[string]bool{}
	for _, k := range s.recipe.LabelKeys {
		if k == "version" && s.checkName == "argo_workflows" {
			k = "go_version"
		}
		tags[k] = true
	}
	if extra, ok := get(s.vals, nil, "datadog", "tags").([]any); ok {
		for _, e := range extra {
			k, _, _ := strings.Cut(e.(string), ":")
			tags[k] = true
		}
	}
	return tags
}

func datadogFile(t *testing.T) dash.DatadogDashboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(chartDir, chart.DatadogDashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	var d dash.DatadogDashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", chart.DatadogDashboardFile, err)
	}
	return d
}

var (
	ddQueryRE   = regexp.MustCompile(`^max:(argo_workflows\.[a-z_]+)\{([^}]*)\} by \{([^}]*)\}$`)
	ddFormulaID = regexp.MustCompile(`[a-z_][a-z_0-9]*`)
)

// checkDatadogQueries: every query is `max:<metric>{<template variables>} by {<tags>}` on a
// metric the check collects, grouped by tags it emits, filtered by the dashboard's template
// variables (each a tag prefix the metrics carry); every formula reads the request's queries.
func checkDatadogQueries(t *testing.T, d dash.DatadogDashboard, names, tags map[string]bool) {
	t.Helper()
	vars := map[string]bool{}
	for _, v := range d.TemplateVariables {
		vars["$"+v.Name] = true
		if !tags[v.Prefix] {
			t.Errorf("template variable %s filters by tag %q, which the metrics do not carry (%v)", v.Name, v.Prefix, tags)
		}
	}
	n := 0
	var walk func([]dash.DatadogWidget)
	walk = func(ws []dash.DatadogWidget) {
		for _, w := range ws {
			walk(w.Definition.Widgets)
			for _, r := range w.Definition.Requests {
				qnames := map[string]bool{}
				for _, q := range r.Queries {
					n++
					qnames[q.Name] = true
					m := ddQueryRE.FindStringSubmatch(q.Query)
					if m == nil {
						t.Errorf("%q: query %q is not max:<metric>{scope} by {tags}", w.Definition.Title, q.Query)
						continue
					}
					if !names[m[1]] {
						t.Errorf("%q: metric %s is not collected by the check (%v)", w.Definition.Title, m[1], names)
					}
					for _, sc := range strings.Split(m[2], ",") {
						if !vars[sc] {
							t.Errorf("%q: scope %q is not a template variable", w.Definition.Title, sc)
						}
					}
					for _, g := range strings.Split(m[3], ",") {
						if !tags[g] {
							t.Errorf("%q: groups by tag %q, which the check does not emit (%v)", w.Definition.Title, g, tags)
						}
					}
				}
				for _, f := range r.Formulas {
					for _, id := range ddFormulaID.FindAllString(f.Formula, -1) {
						if !qnames[id] && id != "median_9" && id != "abs" {
							t.Errorf("%q: formula %q reads %q, not a query of the request", w.Definition.Title, f.Formula, id)
						}
					}
				}
			}
		}
	}
	walk(d.Widgets)
	if n == 0 {
		t.Errorf("the Datadog dashboard has no query")
	}
}

// The import file's queries hold for both checks the chart can configure.
func TestDatadogDashboardFileQueries(t *testing.T) {
	for _, check := range []string{"argo_workflows", "openmetrics"} {
		t.Run(check, func(t *testing.T) {
			vals := map[string]any{"datadog": map[string]any{"check": check}}
			s := newSettings(t, vals)
			c, err := chart.DatadogCheck(chartDir, vals)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, m := range c.Metrics {
				names["argo_workflows."+m.Name] = true
			}
			checkDatadogQueries(t, datadogFile(t), names, s.ddTags())
		})
	}
}

// NOTES say where the dashboards are, and warn when the Grafana one would have no recorded
// series to read.
func TestDashboardNotes(t *testing.T) {
	vals := scenario(t, "08-dashboards-values.yaml")
	for _, c := range []struct {
		apis []string
		warn bool
	}{{nil, true}, {[]string{apiPrometheusRule}, false}} {
		notes := render(t, vals, c.apis...).Notes
		if !strings.Contains(notes, "Grafana: ConfigMap with label grafana_dashboard=\"1\" in grafana.") ||
			!strings.Contains(notes, "DatadogDashboard in datadog.") {
			t.Errorf("APIs %v: NOTES do not place the dashboards:\n%s", c.apis, notes)
		}
		if got := strings.Contains(notes, "no PrometheusRule\n  is rendered here"); got != c.warn {
			t.Errorf("APIs %v: warning about the missing PrometheusRule shown %v, want %v:\n%s", c.apis, got, c.warn, notes)
		}
	}
	if notes := render(t, nil).Notes; strings.Contains(notes, "DASHBOARDS") {
		t.Errorf("NOTES mention dashboards although none is rendered")
	}
}

// The run-state panels (recipe of examples/run-state/config.yaml), built from the chart as
// `make chart-template` builds the shipped ones, decoded through the SDK, and evaluated with the
// run-state chart's rules on the series of a rules scenario (the realtime gauge as measured: the
// run's age while it goes, its whole seconds after; absent while a restarted controller has not
// seen the run). Minutes 0–399, controller restart 290–300:
//   - data/nightly: 10-minute runs (600.5 s) from 10, 70, 130, 190; a run from 250 ends at 330.
//   - data/capped (limit 1200 s): the same, its run from 250 never ends.
//   - billing/capped (limit 1200 s): 10-minute runs every hour, the last from 310 to 320.
//   - data/flaky: failed at 100, 120, 140 (3 in a row), nothing after.
func TestGrafanaRunStatePanelsEvaluated(t *testing.T) {
	dir := chartDir
	// The dashboards as the packaged chart renders them for the run-state values.
	res := render(t, mergeValues(runStateValues(t), map[string]any{"dashboards": map[string]any{"grafana": map[string]any{"enabled": true},
		"datadog": map[string]any{"create": "always"}}}), apiPrometheusRule)
	var raw []byte
	var dd dash.DatadogDashboard
	for _, o := range res.Objects {
		switch o.Kind {
		case "ConfigMap":
			raw = []byte(str(t, o.Body, "data", "batch-monitoring-cronworkflows.json"))
		case "DatadogDashboard":
			if err := json.Unmarshal([]byte(str(t, o.Body, "spec", "widgets")), &dd.Widgets); err != nil {
				t.Fatal(err)
			}
			vars, _ := chart.Path(o.Body, "spec", "templateVariables")
			b, _ := json.Marshal(vars)
			if err := json.Unmarshal(b, &dd.TemplateVariables); err != nil {
				t.Fatal(err)
			}
		}
	}
	if raw == nil || dd.Widgets == nil {
		t.Fatal("the chart rendered no Grafana or Datadog dashboard")
	}
	plugins.RegisterDefaultPlugins()
	var d dashboard.Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("SDK validation: %v", err)
	}
	byRef := map[string]panelQuery{}
	for _, q := range grafanaQueries(t, d) {
		byRef[q.panel+"/"+q.ref] = q
	}
	// The default recipe's dashboard has none of these panels.
	def, _ := grafanaDashboard(t)
	for _, q := range grafanaQueries(t, def) {
		if q.panel == dash.PanelTooLong || q.panel == dash.PanelCurrentRun || q.panel == dash.PanelFailing && q.ref == "C" {
			t.Errorf("the shipped dashboard (default recipe) has run-state query %s/%s", q.panel, q.ref)
		}
	}

	f := flavours(t)[0]
	sc := ruleScenario{minutes: 400, runState: true, values: runStateOnly,
		pods: []pod{leader("ctrl-a", 0, 290), leader("ctrl-b", 300, 400)},
		runs: concatRuns(
			tenMinuteRuns("data", "nightly", 0, 10, 70, 130, 190),
			[]run{{start: 250, at: 330, ns: "data", job: "nightly", duration: 4800.5}},
			tenMinuteRuns("data", "capped", 1200, 10, 70, 130, 190),
			[]run{{start: 250, at: 10000, ns: "data", job: "capped"}},
			tenMinuteRuns("billing", "capped", 1200, 10, 70, 130, 190, 250, 310),
			[]run{{at: 100, ns: "data", job: "flaky", failed: true}, {at: 120, ns: "data", job: "flaky", failed: true}, {at: 140, ns: "data", job: "flaky", failed: true}},
		)}
	rules, _, _ := rulesOf(t, dir, f, mergeValues(mergeValues(f.values, sc.values), runStateValues(t)))

	checks := []dashCheck{
		// 35 minutes into the runs from 250; both past their limit (1801.5 s, 1200 s).
		{dash.PanelTooLong, "A", "", "", 285, map[string]float64{"data/nightly": 2100, "data/capped": 2100}},
		{dash.PanelTooLong, "B", "", "", 285, map[string]float64{"data/nightly": 250 * 60000, "data/capped": 250 * 60000}},
		{dash.PanelTooLong, "A", "", "", 275, map[string]float64{"data/capped": 1500}},
		{dash.PanelTooLong, "A", "", "", 295, map[string]float64{}}, // no controller exports the runs
		{dash.PanelTooLong, "A", "", "", 320, map[string]float64{"data/nightly": 4200, "data/capped": 4200}},
		{dash.PanelTooLong, "A", "", "", 335, map[string]float64{"data/capped": 5100}}, // nightly ended at 330
		{dash.PanelTooLong, "A", "billing", "", 320, map[string]float64{}},
		{dash.PanelCurrentRun, "A", "", "", 320, map[string]float64{"data/nightly": 4200, "data/capped": 4200, "billing/capped": 600}},
		{dash.PanelCurrentRun, "A", "", "", 295, map[string]float64{}},
		{dash.PanelCurrentRun, "B", "", "", 320, map[string]float64{"data/nightly": 1801.5, "data/capped": 1200, "billing/capped": 1200, "data/flaky": 1800}},
		{dash.PanelFailing, "C", "", "", 130, map[string]float64{"data/flaky": 2}},
		{dash.PanelFailing, "C", "", "", 320, map[string]float64{"data/flaky": 3}}, // held across the restart
	}
	covered := map[string]bool{}
	var exprTests []any
	for _, c := range checks {
		q, ok := byRef[c.panel+"/"+c.ref]
		if !ok {
			t.Fatalf("the run-state dashboard has no query %s of panel %q", c.ref, c.panel)
		}
		covered[c.panel+"/"+c.ref] = true
		samples := []any{}
		for row, v := range c.rows {
			ns, job, _ := strings.Cut(row, "/")
			samples = append(samples, map[string]any{"labels": fmt.Sprintf(`{namespace=%q, cronworkflow=%q}`, ns, job), "value": v})
		}
		expr := fmt.Sprintf(`label_replace(%s, "__name__", "", "", "")`, substitute(q.expr, c.ns, c.job))
		exprTests = append(exprTests, map[string]any{"expr": expr, "eval_time": fmt.Sprintf("%dm", c.at), "exp_samples": samples})
	}
	for key := range byRef {
		if (strings.HasPrefix(key, dash.PanelTooLong+"/") || strings.HasPrefix(key, dash.PanelCurrentRun+"/") || key == dash.PanelFailing+"/C") && !covered[key] {
			t.Errorf("query %s is not evaluated by any check", key)
		}
	}
	tmp := t.TempDir()
	writeYAML(t, filepath.Join(tmp, "rules.yaml"), map[string]any{"groups": rules})
	tf := filepath.Join(tmp, "test.yaml")
	writeYAML(t, tf, map[string]any{
		"rule_files":          []string{"rules.yaml"},
		"evaluation_interval": "1m",
		"group_eval_order":    groupOrder(rules),
		"tests":               []any{map[string]any{"interval": "1m", "input_series": sc.series(f), "promql_expr_test": exprTests}},
	})
	if out, err := exec.Command(promtool(t), "test", "rules", tf).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, trimOutput(out))
	}

	// Datadog: the run-state widgets read only what the run-state chart's check collects.
	c, err := chart.DatadogCheck(dir, runStateValues(t))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range c.Metrics {
		names["argo_workflows."+m.Name] = true
	}
	for _, want := range []string{"argo_workflows.current_run_seconds", "argo_workflows.run_time_limit_seconds", "argo_workflows.consecutive_failures"} {
		if !names[want] {
			t.Errorf("the run-state check does not collect %s", want)
		}
	}
	checkDatadogQueries(t, dd, names, map[string]bool{"namespace": true, "cronworkflow": true})
	titles := map[string]bool{}
	var walk func([]dash.DatadogWidget)
	walk = func(ws []dash.DatadogWidget) {
		for _, w := range ws {
			titles[w.Definition.Title] = true
			walk(w.Definition.Widgets)
		}
	}
	walk(dd.Widgets)
	if !titles[dash.PanelTooLong] || !titles[dash.PanelCurrentRun] {
		t.Errorf("Datadog run-state widgets missing: %v", titles)
	}
}

// The dashboards the chart renders follow the alerts' settings in the values (the median's
// window; the lookback is the rules' own, whose carried series the panels read) and the
// configuration's names and labels, as internal/dashboard builds them for those values.
func TestDashboardsFollowValues(t *testing.T) {
	vals := mergeValues(scenario(t, "08-dashboards-values.yaml"), map[string]any{
		"alerts":            map[string]any{"lookback": "10d", "slowRun": map[string]any{"window": "3d"}},
		"argoMetricsConfig": map[string]any{"spec": map[string]any{"metrics": map[string]any{"exitCode": map[string]any{"name": "job_failed"}}, "labels": map[string]any{"name": "job"}}},
	})
	res := render(t, vals, apiPrometheusRule)
	s := newSettings(t, vals)
	n := 0
	for _, o := range res.Objects {
		switch o.Kind {
		case "ConfigMap":
			s.checkGrafanaConfigMap(t, o)
			text := str(t, o.Body, "data", "batch-monitoring-cronworkflows.json")
			for _, want := range []string{"median 3d", "cronworkflow:argo_workflows_job_failed:last", "cronworkflow:argo_workflows_duration:median_1h", `job=~\"$cronworkflow\"`} {
				if !strings.Contains(text, want) {
					t.Errorf("the Grafana dashboard lacks %s", want)
				}
			}
			n++
		case "DatadogDashboard":
			s.checkDatadogDashboard(t, o)
			if !strings.Contains(str(t, o.Body, "spec", "widgets"), "argo_workflows.job_failed{$namespace,$cronworkflow} by {namespace,job}") {
				t.Errorf("the Datadog dashboard does not read the configured name and labels")
			}
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d dashboards rendered, want 2", n)
	}
}
