package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// GrafanaUID is the dashboard's uid: stable, so a re-import or the sidecar replaces it.
const GrafanaUID = "batch-monitoring-cronworkflows"

// Title of both dashboards.
const Title = "Argo CronWorkflows (batch-monitoring)"

// Grafana builds the Grafana dashboard.
func Grafana(s Spec) (dashboard.Dashboard, error) {
	ds := common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + VarDatasource + "}")}
	legend := fmt.Sprintf("{{%s}}/{{%s}}", s.NS, s.Job)
	byPanel := map[string][]Query{}
	for _, q := range s.Queries() {
		byPanel[q.Panel] = append(byPanel[q.Panel], q)
	}
	target := func(q Query, legendSuffix string) *prometheus.DataqueryBuilder {
		t := prometheus.NewDataqueryBuilder().Datasource(ds).RefId(q.RefID).Expr(q.Expr)
		if q.Instant {
			return t.Instant().Format(prometheus.PromQueryFormatTable)
		}
		return t.Range().LegendFormat(legend + legendSuffix)
	}
	all := func(name, label, query string) *dashboard.QueryVariableBuilder {
		return dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(ds).
			Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).IncludeAll(true).AllValue(".*").
			Current(dashboard.VariableOption{Text: stringOrArray("All"), Value: stringOrArray("$__all")})
	}
	exit := s.Series[ExitCode]
	b := dashboard.NewDashboardBuilder(Title).Uid(GrafanaUID).
		Description("Per-job view of Argo CronWorkflows monitored by batch-monitoring: the same series the chart's alerts read.").
		Tags([]string{"argo-workflows", "batch-monitoring"}).
		Time("now-7d", "now").Refresh("1m").Timezone(common.TimeZoneBrowser).
		WithVariable(dashboard.NewDatasourceVariableBuilder(VarDatasource).Label("Data source").Type("prometheus")).
		WithVariable(all(VarNamespace, "Namespace", fmt.Sprintf("label_values(%s, %s)", exit, s.NS))).
		WithVariable(all(VarJob, "CronWorkflow", fmt.Sprintf(`label_values(%s{%s=~"$%s"}, %s)`, exit, s.NS, VarNamespace, s.Job)))

	// Fleet row: one table per condition, a row per job in it, and since when.
	b = b.WithRow(dashboard.NewRowBuilder("Fleet"))
	tablePanel := func(title, desc string, qs []Query, valueNames ...[2]string) *table.PanelBuilder {
		p := table.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).Height(8).Span(12).
			NoValue("none").Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"count"})).
			WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
				"excludeByName": map[string]any{"Time": true, "__name__": true},
			}})
		for i, q := range qs {
			p = p.WithTarget(target(q, ""))
			if i < len(valueNames) {
				p = p.OverrideByName("Value #"+q.RefID, []dashboard.DynamicConfigValue{
					{Id: "displayName", Value: valueNames[i][0]}, {Id: "unit", Value: valueNames[i][1]}})
			}
		}
		return p
	}
	failingNames := [][2]string{{"Failed", "none"}}
	if s.has(LastSuccess) {
		failingNames = append(failingNames, [2]string{"Last success", "dateTimeFromNow"})
	}
	if s.has(ConsecutiveFailures) {
		failingNames = append(failingNames, [2]string{"Failed runs in a row", "none"})
	}
	b = b.WithPanel(tablePanel(PanelFailing,
		"Jobs whose last run ended Failed or Error (held through controller restarts), and when each last succeeded: the outage began after that.",
		byPanel[PanelFailing], failingNames...))
	if qs := byPanel[PanelStale]; len(qs) > 0 {
		b = b.WithPanel(tablePanel(PanelStale,
			"Jobs whose last success is older than their staleness threshold (from the schedule), and since when they are overdue.",
			qs, [2]string{"Since last success", "s"}, [2]string{"Overdue since", "dateTimeFromNow"}))
	}
	if qs := byPanel[PanelTooLong]; len(qs) > 0 {
		b = b.WithPanel(tablePanel(PanelTooLong,
			"Runs going on now for longer than their job's limit (the lower of its run-time factor times its median duration and its maximum run time), and since when they run. Empty while a restarted controller has not reported the run yet.",
			qs, [2]string{"Running for", "s"}, [2]string{"Running since", "dateTimeFromNow"}))
	}

	// Per-job row.
	b = b.WithRow(dashboard.NewRowBuilder("Per job"))
	mapping := func(v, text, color string) dashboard.ValueMapping {
		return dashboard.ValueMapping{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText,
			Options: map[string]dashboard.ValueMappingResult{v: {Text: cog.ToPtr(text), Color: cog.ToPtr(color)}}}}
	}
	outcome := statetimeline.NewPanelBuilder().Title(PanelOutcome).Datasource(ds).Height(8).Span(24).
		Description("Outcome of each job's last run over time: green Succeeded, red Failed or Error.").
		Mappings([]dashboard.ValueMapping{mapping("0", "Succeeded", "green"), mapping("1", "Failed", "red")}).
		ShowValue(common.VisibilityModeNever).MergeValues(true).Legend(legendBuilder()).Tooltip(tooltip())
	for _, q := range byPanel[PanelOutcome] {
		outcome = outcome.WithTarget(target(q, ""))
	}
	b = b.WithPanel(outcome)
	if qs := byPanel[PanelSinceSuccess]; len(qs) > 0 {
		p := timeseries.NewPanelBuilder().Title(PanelSinceSuccess).Datasource(ds).Height(8).Span(12).Unit("s").
			Legend(legendBuilder()).Tooltip(tooltip()).
			Description("Seconds since each job's last success, and its staleness threshold: the alert fires where the first crosses the second.")
		suffix := []string{" since last success", " threshold"}
		for i, q := range qs {
			p = p.WithTarget(target(q, suffix[i]))
		}
		b = b.WithPanel(p)
	}
	if qs := byPanel[PanelDuration]; len(qs) > 0 {
		p := timeseries.NewPanelBuilder().Title(PanelDuration).Datasource(ds).Height(8).Span(12).Unit("s").
			Legend(legendBuilder()).Tooltip(tooltip()).
			Description(fmt.Sprintf("Duration of each job's last run, and its median over %s (the slow-run alert's baseline).", s.MedianWindow))
		suffix := []string{" last run", " median " + s.MedianWindow}
		for i, q := range qs {
			p = p.WithTarget(target(q, suffix[i]))
		}
		b = b.WithPanel(p)
	}
	if qs := byPanel[PanelCurrentRun]; len(qs) > 0 {
		p := timeseries.NewPanelBuilder().Title(PanelCurrentRun).Datasource(ds).Height(8).Span(12).Unit("s").
			Legend(legendBuilder()).Tooltip(tooltip()).
			Description("How long each job's current run has been running (after a run: its duration), and the job's limit: the running-too-long alert fires where a going run crosses it.")
		suffix := []string{" current run", " limit"}
		for i, q := range qs {
			p = p.WithTarget(target(q, suffix[i]))
		}
		b = b.WithPanel(p)
	}
	d, err := b.Build()
	if err != nil {
		return d, err
	}
	// Unique panel ids, in order (the builders leave them unset or 0): Grafana links panels by id.
	for i, p := range d.Panels {
		id := uint32(i + 1)
		if p.RowPanel != nil {
			p.RowPanel.Id = id
		} else if p.Panel != nil {
			p.Panel.Id = &id
		}
	}
	return d, nil
}

func legendBuilder() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom)
}

func tooltip() *common.VizTooltipOptionsBuilder {
	return common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)
}

func stringOrArray(s string) dashboard.StringOrArrayOfString {
	return dashboard.StringOrArrayOfString{String: cog.ToPtr(s)}
}

// GrafanaJSON returns the dashboard as the indented JSON file the chart ships.
func GrafanaJSON(s Spec) ([]byte, error) {
	d, err := Grafana(s)
	if err != nil {
		return nil, err
	}
	return marshal(d)
}

// marshal indents v and leaves <, > and & readable (PromQL comparisons).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
