package chart

import (
	"fmt"
	"path"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/dashboard"
)

// Dashboard files, relative to the chart directory: plain files to import, and what the
// chart's dashboard templates load with .Files.Get.
const (
	GrafanaDashboardFile = "dashboards/grafana-cronworkflows.json"
	DatadogDashboardFile = "dashboards/datadog-cronworkflows.json"
)

// RenderDashboards returns the dashboard files (path relative to the chart -> content).
func RenderDashboards(dir string) (map[string][]byte, error) {
	s, err := DashboardSpec(dir)
	if err != nil {
		return nil, err
	}
	g, err := dashboard.GrafanaJSON(s)
	if err != nil {
		return nil, fmt.Errorf("grafana dashboard: %v", err)
	}
	d, err := dashboard.DatadogJSON(s)
	if err != nil {
		return nil, fmt.Errorf("datadog dashboard: %v", err)
	}
	return map[string][]byte{GrafanaDashboardFile: g, DatadogDashboardFile: d}, nil
}

// DashboardSpec derives the dashboards' spec from the chart with its default values: the
// recipe summary, the per-job recording rules of its PrometheusRule (the Grafana panels read
// what the alerts read; each metric they show must have one), the median duration as the alerts
// read it, and the Datadog names of its check.
func DashboardSpec(dir string) (dashboard.Spec, error) {
	rc, err := ChartRecipe(dir)
	if err != nil {
		return dashboard.Spec{}, err
	}
	s := dashboard.Spec{NS: rc.NamespaceLabel, Job: rc.NameLabel,
		Series: map[string]string{}, Datadog: map[string]string{}, DatadogTags: rc.LabelKeys}
	byExported := map[string]string{} // the metrics the dashboards read
	for _, key := range append(append([]string(nil), dashboard.Keys...), dashboard.RunStateKeys...) {
		if name, ok := rc.Metrics[key]; ok {
			byExported[rc.Prefix+name] = key
		}
	}
	vals, err := ValuesFile(path.Join(dir, "values.yaml"))
	if err != nil {
		return dashboard.Spec{}, err
	}
	s.MedianWindow, _ = get(vals, "alerts", "slowRun", "window").(string)
	if s.MedianWindow == "" {
		return dashboard.Spec{}, fmt.Errorf("values.yaml: no alerts.slowRun.window for the dashboards")
	}

	res, err := Render(dir, nil, Options{APIVersions: []string{"monitoring.coreos.com/v1/PrometheusRule"}})
	if err != nil {
		return dashboard.Spec{}, err
	}
	var records, alerts []map[string]any
	for _, o := range res.OfKind("PrometheusRule") {
		groups, _ := Path(o.Body, "spec", "groups")
		gs, _ := groups.([]any)
		for _, g := range gs {
			rules, _ := Path(g, "rules")
			rs, _ := rules.([]any)
			for _, r := range rs {
				rule, _ := r.(map[string]any)
				if _, ok := rule["record"].(string); ok {
					records = append(records, rule)
				} else {
					alerts = append(alerts, rule)
				}
			}
		}
	}
	// A recording rule over exactly one of our metrics, keeping one series per job, is that
	// metric's leader series; one that is that series when it has a sample, else reads itself,
	// carries the metric's last known value.
	leader := map[string]string{} // record -> key
	for _, rule := range records {
		record, _ := rule["record"].(string)
		sel, err := selectors(rule["expr"].(string))
		if err != nil {
			return dashboard.Spec{}, fmt.Errorf("recording rule %s: %v", record, err)
		}
		key, err := recordedMetric(sel, byExported)
		if err != nil {
			return dashboard.Spec{}, fmt.Errorf("recording rule %s: %v", record, err)
		}
		if key != "" {
			leader[record] = key
		}
	}
	for _, rule := range records {
		record, _ := rule["record"].(string)
		e, _ := parser.ParseExpr(rule["expr"].(string))
		sel, _ := selectors(rule["expr"].(string))
		if key := leader[leftmost(e)]; key != "" && sel[record] != nil {
			s.Series[key] = record
		}
		if strings.Contains(rule["expr"].(string), "quantile_over_time") {
			s.MedianSeries = record
		}
	}
	for record, key := range leader {
		if key == dashboard.CurrentRun {
			s.Series[key] = record // live: a held value would not grow
		}
	}
	for _, key := range dashboard.Keys {
		if name, ok := rc.Metrics[key]; ok && s.Series[key] == "" {
			return dashboard.Spec{}, fmt.Errorf("the chart's PrometheusRule carries no per-job series of %s%s", rc.Prefix, name)
		}
	}
	// The median as the alerts read it back.
	for _, rule := range alerts {
		sel, _ := selectors(rule["expr"].(string))
		if r := sel[s.MedianSeries]; s.MedianSeries != "" && r != nil {
			s.MedianRange = model.Duration(r.Range).String()
		}
	}
	if s.Series[dashboard.Duration] != "" && s.MedianRange == "" {
		return dashboard.Spec{}, fmt.Errorf("the chart's PrometheusRule has no median duration the alerts read")
	}

	check, err := DatadogCheck(dir, nil)
	if err != nil {
		return dashboard.Spec{}, err
	}
	for _, m := range check.Metrics {
		if key, ok := byExported[m.Exported]; ok {
			s.Datadog[key] = "argo_workflows." + m.Name
		}
	}
	return s, nil
}

// selectors returns the series an expression reads, by name, with the range each is read
// over (nil: an instant selector).
func selectors(expr string) (map[string]*parser.MatrixSelector, error) {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	out := map[string]*parser.MatrixSelector{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			out[n.VectorSelector.(*parser.VectorSelector).Name] = n
		case *parser.VectorSelector:
			if _, ok := out[n.Name]; !ok {
				out[n.Name] = nil
			}
		}
		return nil
	})
	return out, nil
}

// leftmost returns the name of the series an expression starts with, through parentheses and
// the left operands of binary operators ("" when it starts otherwise).
func leftmost(e parser.Expr) string {
	for {
		switch n := e.(type) {
		case *parser.ParenExpr:
			e = n.Expr
		case *parser.BinaryExpr:
			e = n.LHS
		case *parser.VectorSelector:
			return n.Name
		default:
			return ""
		}
	}
}

// recordedMetric returns the key of the one series of byName among the selectors ("" when
// there is none).
func recordedMetric(sel map[string]*parser.MatrixSelector, byName map[string]string) (string, error) {
	found := map[string]bool{}
	for name := range sel {
		if key, ok := byName[name]; ok {
			found[key] = true
		}
	}
	if len(found) > 1 {
		return "", fmt.Errorf("reads several of the job metrics (%v)", found)
	}
	for k := range found {
		return k, nil
	}
	return "", nil
}

func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
