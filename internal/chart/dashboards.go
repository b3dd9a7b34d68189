package chart

import (
	"fmt"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/dashboard"
)

// Dashboard files, relative to the chart directory: plain files to import, and what the
// chart's dashboard templates load with .Files.Get.
const (
	GrafanaDashboardFile = "dashboards/grafana-cronworkflows.json"
	DatadogDashboardFile = "dashboards/datadog-cronworkflows.json"
)

// RenderDashboards returns the dashboard files (path relative to the chart -> content): the
// dashboards of the chart's default values, to import by hand.
func RenderDashboards(dir string) (map[string][]byte, error) {
	s, err := DashboardSpec(dir, nil)
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

// DashboardSpec derives the dashboards' spec from the chart with vals: the recipe summary, the
// per-job recording rules of its PrometheusRule (the Grafana panels read what the alerts read;
// each metric they show must have one), the alerts' lookback and median window, and the Datadog
// names of its check.
func DashboardSpec(dir string, vals map[string]any) (dashboard.Spec, error) {
	rc, err := Recipe(dir, vals)
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
	merged, err := Values(dir, vals)
	if err != nil {
		return dashboard.Spec{}, err
	}
	s.Lookback, _ = get(merged, "alerts", "lookback").(string)
	s.MedianWindow, _ = get(merged, "alerts", "slowRun", "window").(string)
	if s.Lookback == "" || s.MedianWindow == "" {
		return dashboard.Spec{}, fmt.Errorf("values: no alerts.lookback or alerts.slowRun.window for the dashboards")
	}

	// A recording rule over exactly one of our metrics, keeping one series per job, is that
	// metric's per-job series.
	res, err := Render(dir, vals, Options{APIVersions: []string{"monitoring.coreos.com/v1/PrometheusRule"}})
	if err != nil {
		return dashboard.Spec{}, err
	}
	for _, o := range res.OfKind("PrometheusRule") {
		groups, _ := Path(o.Body, "spec", "groups")
		gs, _ := groups.([]any)
		for _, g := range gs {
			rules, _ := Path(g, "rules")
			rs, _ := rules.([]any)
			for _, r := range rs {
				rule, _ := r.(map[string]any)
				record, _ := rule["record"].(string)
				expr, _ := rule["expr"].(string)
				if record == "" {
					continue
				}
				key, err := recordedMetric(expr, byExported)
				if err != nil {
					return dashboard.Spec{}, fmt.Errorf("recording rule %s: %v", record, err)
				}
				if key != "" {
					s.Series[key] = record
				}
			}
		}
	}

	for _, key := range dashboard.Keys {
		if name, ok := rc.Metrics[key]; ok && s.Series[key] == "" {
			return dashboard.Spec{}, fmt.Errorf("the chart's PrometheusRule records no per-job series of %s%s", rc.Prefix, name)
		}
	}

	check, err := DatadogCheck(dir, vals)
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

// recordedMetric returns the key of the one dashboard metric a recording rule reads ("" when it
// reads none).
func recordedMetric(expr string, byExported map[string]string) (string, error) {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return "", err
	}
	found := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			if key, ok := byExported[vs.Name]; ok {
				found[key] = true
			}
		}
		return nil
	})
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
