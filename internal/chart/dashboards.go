package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/dashboard"
)

// Dashboard files, relative to the chart directory: plain files to import (the dashboards of the
// chart's default values), and the catalog the chart's templates assemble the dashboards of any
// values from.
const (
	GrafanaDashboardFile = "dashboards/grafana-cronworkflows.json"
	DatadogDashboardFile = "dashboards/datadog-cronworkflows.json"
	DashboardCatalogFile = "dashboards/catalog.json"
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
	c, err := DashboardCatalog()
	if err != nil {
		return nil, err
	}
	return map[string][]byte{GrafanaDashboardFile: g, DatadogDashboardFile: d, DashboardCatalogFile: c}, nil
}

// CatalogKeys are the metrics whose presence shapes the dashboards (exitCode is always there),
// in the order of the bits of a shape: shape s has key i when s&(1<<i) != 0.
var CatalogKeys = append(append([]string(nil), dashboard.Keys[1:]...), dashboard.RunStateKeys...)

// Catalog tokens: the builders of internal/dashboard run on a Spec made of them, and the chart's
// templates replace them by the values' names (batch-monitoring.grafanaDashboard,
// batch-monitoring.datadogDashboard).
const (
	tokenNS, tokenJob, tokenWindow, tokenTags = "@@ns@@", "@@job@@", "@@window@@", "@@tags@@"
	tokenMedian, tokenMedianRange             = "@@median@@", "@@median.range@@"
)

func tokenSeries(key string) string  { return "@@series." + key + "@@" }
func tokenDatadog(key string) string { return "@@datadog." + key + "@@" }

// catalogSlot is one place of a dashboard's list (a panel, a row, a widget): its variants, each
// with the shapes it appears in, as a string of '0' and '1' indexed by shape.
type catalogSlot struct {
	Variants []catalogVariant `json:"variants"`
}

type catalogVariant struct {
	Shapes string `json:"shapes"`
	Part   any    `json:"part"`
}

// DashboardCatalog builds both dashboards, with internal/dashboard, for every shape (which of
// CatalogKeys the chart records, or its check collects) on a Spec of tokens, and cuts them into
// slots: the chart picks each slot's variant for its values' shape, lays the Grafana panels out
// as the SDK does, and replaces the tokens. So a packaged chart's dashboards follow its values
// exactly as the builders would.
func DashboardCatalog() ([]byte, error) {
	shapes := 1 << len(CatalogKeys)
	type slots struct {
		order []string
		by    map[string]*catalogSlot
	}
	grafana, datadog := &slots{by: map[string]*catalogSlot{}}, map[string]*slots{}
	var grafanaTop, datadogTop map[string]any
	var groupOrder []string
	groups := map[string]map[string]any{}
	add := func(sl *slots, key string, shape int, part any) error {
		b, err := json.Marshal(part)
		if err != nil {
			return err
		}
		var canonical any
		if err := json.Unmarshal(b, &canonical); err != nil {
			return err
		}
		if b, err = json.Marshal(canonical); err != nil {
			return err
		}
		slot := sl.by[key]
		if slot == nil {
			if shape != shapes-1 {
				return fmt.Errorf("dashboard catalog: %q appears in shape %d but not with every metric", key, shape)
			}
			slot = &catalogSlot{}
			sl.by[key] = slot
			sl.order = append(sl.order, key)
		}
		for i := range slot.Variants {
			if v, _ := json.Marshal(slot.Variants[i].Part); string(v) == string(b) {
				slot.Variants[i].Shapes = slot.Variants[i].Shapes[:shape] + "1" + slot.Variants[i].Shapes[shape+1:]
				return nil
			}
		}
		on := strings.Repeat("0", shapes)
		slot.Variants = append(slot.Variants, catalogVariant{Shapes: on[:shape] + "1" + on[shape+1:], Part: canonical})
		return nil
	}
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	// The shape with every metric first: it fixes the order of the slots.
	for shape := shapes - 1; shape >= 0; shape-- {
		s := dashboard.Spec{NS: tokenNS, Job: tokenJob, DatadogTags: []string{tokenTags},
			MedianSeries: tokenMedian, MedianRange: tokenMedianRange, MedianWindow: tokenWindow,
			Series:  map[string]string{dashboard.ExitCode: tokenSeries(dashboard.ExitCode)},
			Datadog: map[string]string{dashboard.ExitCode: tokenDatadog(dashboard.ExitCode)}}
		for i, key := range CatalogKeys {
			if shape&(1<<i) != 0 {
				s.Series[key], s.Datadog[key] = tokenSeries(key), tokenDatadog(key)
			}
		}
		g, err := dashboard.GrafanaJSON(s)
		if err != nil {
			return nil, err
		}
		var top map[string]any
		if err := json.Unmarshal(g, &top); err != nil {
			return nil, err
		}
		panels, _ := top["panels"].([]any)
		delete(top, "panels")
		if grafanaTop == nil {
			grafanaTop = top
		} else if !same(top, grafanaTop) {
			return nil, fmt.Errorf("dashboard catalog: the Grafana dashboard's own fields differ in shape %d", shape)
		}
		last := -1
		for _, p := range panels {
			pm := p.(map[string]any)
			key, _ := pm["title"].(string)
			if pm["type"] == "row" {
				key = "row:" + key
			}
			delete(pm, "id")
			if gp, ok := pm["gridPos"].(map[string]any); ok {
				delete(gp, "x")
				delete(gp, "y")
			}
			if err := add(grafana, key, shape, pm); err != nil {
				return nil, err
			}
			if at := indexOf(grafana.order, key); at <= last {
				return nil, fmt.Errorf("dashboard catalog: Grafana panel %q out of order in shape %d", key, shape)
			} else {
				last = at
			}
		}

		d := dashboard.Datadog(s)
		widgets := d.Widgets
		d.Widgets = nil
		var dtop map[string]any
		b, _ := json.Marshal(d)
		if err := json.Unmarshal(b, &dtop); err != nil {
			return nil, err
		}
		delete(dtop, "widgets")
		if datadogTop == nil {
			datadogTop = dtop
		} else if !same(dtop, datadogTop) {
			return nil, fmt.Errorf("dashboard catalog: the Datadog dashboard's own fields differ in shape %d", shape)
		}
		for _, g := range widgets {
			title := g.Definition.Title
			inner := g.Definition.Widgets
			g.Definition.Widgets = nil
			var gm map[string]any
			b, _ := json.Marshal(g)
			if err := json.Unmarshal(b, &gm); err != nil {
				return nil, err
			}
			if groups[title] == nil {
				if shape != shapes-1 {
					return nil, fmt.Errorf("dashboard catalog: Datadog group %q not in the shape with every metric", title)
				}
				groups[title] = gm
				groupOrder = append(groupOrder, title)
				datadog[title] = &slots{by: map[string]*catalogSlot{}}
			} else if !same(gm, groups[title]) {
				return nil, fmt.Errorf("dashboard catalog: Datadog group %q differs in shape %d", title, shape)
			}
			last := -1
			for _, w := range inner {
				if err := add(datadog[title], w.Definition.Title, shape, w); err != nil {
					return nil, err
				}
				at := indexOf(datadog[title].order, w.Definition.Title)
				if at <= last {
					return nil, fmt.Errorf("dashboard catalog: Datadog widget %q out of order in shape %d", w.Definition.Title, shape)
				}
				last = at
			}
		}
	}
	list := func(sl *slots) []*catalogSlot {
		out := make([]*catalogSlot, len(sl.order))
		for i, k := range sl.order {
			out[i] = sl.by[k]
		}
		return out
	}
	var ddGroups []any
	for _, title := range groupOrder {
		ddGroups = append(ddGroups, map[string]any{"group": groups[title], "slots": list(datadog[title])})
	}
	return marshalCatalog(map[string]any{
		"keys":    CatalogKeys,
		"grafana": map[string]any{"dashboard": grafanaTop, "slots": list(grafana)},
		"datadog": map[string]any{"dashboard": datadogTop, "groups": ddGroups},
	})
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// marshalCatalog writes the catalog compactly, one slot variant a line (it is read by the
// chart, not by people).
func marshalCatalog(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DashboardSpec derives the dashboards' spec from the chart with vals: the recipe summary, the
// per-job recording rules of its PrometheusRule (the Grafana panels read what the alerts read;
// each metric they show must have one), the median duration as the alerts read it, and the
// Datadog names of its check.
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
	s.MedianWindow, _ = get(merged, "alerts", "slowRun", "window").(string)
	if s.MedianWindow == "" {
		return dashboard.Spec{}, fmt.Errorf("values: no alerts.slowRun.window for the dashboards")
	}

	res, err := Render(dir, vals, Options{APIVersions: []string{"monitoring.coreos.com/v1/PrometheusRule"}})
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
	if s.Series[dashboard.ExitCode] == "" {
		return dashboard.Spec{}, fmt.Errorf("the chart's PrometheusRule carries no per-job series of %s%s", rc.Prefix, rc.Metrics[dashboard.ExitCode])
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
