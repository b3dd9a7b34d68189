package dashboard

import (
	"fmt"
	"strings"
)

// DatadogDashboard is a dashboard as Datadog's API (v1 /dashboard) imports and exports it.
type DatadogDashboard struct {
	Title             string            `json:"title"`
	Description       string            `json:"description"`
	LayoutType        string            `json:"layout_type"`
	TemplateVariables []DatadogVariable `json:"template_variables"`
	Widgets           []DatadogWidget   `json:"widgets"`
}

// DatadogVariable is a template variable: $name filters by tag prefix.
type DatadogVariable struct {
	Name     string   `json:"name"`
	Prefix   string   `json:"prefix"`
	Defaults []string `json:"defaults"`
}

// DatadogWidget wraps a widget definition.
type DatadogWidget struct {
	Definition DatadogDefinition `json:"definition"`
}

// DatadogDefinition is a group, query_table or timeseries widget.
type DatadogDefinition struct {
	Type       string           `json:"type"`
	Title      string           `json:"title"`
	LayoutType string           `json:"layout_type,omitempty"`
	Widgets    []DatadogWidget  `json:"widgets,omitempty"`
	Requests   []DatadogRequest `json:"requests,omitempty"`
	ShowLegend *bool            `json:"show_legend,omitempty"`
}

// DatadogRequest is one request of a widget, in the formulas-and-functions form.
type DatadogRequest struct {
	ResponseFormat string           `json:"response_format"`
	Queries        []DatadogQuery   `json:"queries"`
	Formulas       []DatadogFormula `json:"formulas"`
	DisplayType    string           `json:"display_type,omitempty"`
}

// DatadogQuery is a metric query.
type DatadogQuery struct {
	DataSource string `json:"data_source"`
	Name       string `json:"name"`
	Query      string `json:"query"`
	Aggregator string `json:"aggregator,omitempty"`
}

// DatadogFormula is a formula over the request's queries.
type DatadogFormula struct {
	Formula            string                     `json:"formula"`
	Alias              string                     `json:"alias,omitempty"`
	ConditionalFormats []DatadogConditionalFormat `json:"conditional_formats,omitempty"`
}

// DatadogConditionalFormat colours a table cell.
type DatadogConditionalFormat struct {
	Comparator string  `json:"comparator"`
	Value      float64 `json:"value"`
	Palette    string  `json:"palette"`
}

// DatadogQueries returns every metric query of the Datadog dashboard.
func DatadogQueries(d DatadogDashboard) []string {
	var out []string
	var walk func([]DatadogWidget)
	walk = func(ws []DatadogWidget) {
		for _, w := range ws {
			walk(w.Definition.Widgets)
			for _, r := range w.Definition.Requests {
				for _, q := range r.Queries {
					out = append(out, q.Query)
				}
			}
		}
	}
	walk(d.Widgets)
	return out
}

// Datadog builds the Datadog dashboard: the same views as the Grafana one, on the metrics the
// check collects. Datadog has no state timeline for metrics: the outcome is drawn as bars.
func Datadog(s Spec) DatadogDashboard {
	by := strings.Join(s.DatadogTags, ",")
	scope := fmt.Sprintf("$%s,$%s", VarNamespace, VarJob)
	q := func(name, key string) DatadogQuery {
		return DatadogQuery{DataSource: "metrics", Name: name, Query: fmt.Sprintf("max:%s{%s} by {%s}", s.Datadog[key], scope, by)}
	}
	scalar := func(name, key string) DatadogQuery {
		x := q(name, key)
		x.Aggregator = "last"
		return x
	}
	red := []DatadogConditionalFormat{{Comparator: ">", Value: 0, Palette: "white_on_red"}, {Comparator: "<=", Value: 0, Palette: "white_on_green"}}
	group := func(title string, ws ...DatadogWidget) DatadogWidget {
		return DatadogWidget{Definition: DatadogDefinition{Type: "group", Title: title, LayoutType: "ordered", Widgets: ws}}
	}
	tableW := func(title string, qs []DatadogQuery, fs ...DatadogFormula) DatadogWidget {
		return DatadogWidget{Definition: DatadogDefinition{Type: "query_table", Title: title,
			Requests: []DatadogRequest{{ResponseFormat: "scalar", Queries: qs, Formulas: fs}}}}
	}
	series := func(title, display string, qs []DatadogQuery, fs ...DatadogFormula) DatadogWidget {
		return DatadogWidget{Definition: DatadogDefinition{Type: "timeseries", Title: title, ShowLegend: ptr(true),
			Requests: []DatadogRequest{{ResponseFormat: "timeseries", Queries: qs, Formulas: fs, DisplayType: display}}}}
	}

	failing := []DatadogQuery{scalar("failed", ExitCode)}
	failingF := []DatadogFormula{{Formula: "failed", Alias: "Failed (1) or succeeded (0)", ConditionalFormats: red}}
	if s.Datadog[LastSuccess] != "" {
		failing = append(failing, scalar("since_success", LastSuccess))
		failingF = append(failingF, DatadogFormula{Formula: "since_success", Alias: "Seconds since last success"})
	}
	if s.Datadog[ConsecutiveFailures] != "" {
		failing = append(failing, scalar("in_a_row", ConsecutiveFailures))
		failingF = append(failingF, DatadogFormula{Formula: "in_a_row", Alias: "Failed runs in a row"})
	}
	fleet := []DatadogWidget{tableW(PanelFailing, failing, failingF...)}
	if s.Datadog[LastSuccess] != "" && s.Datadog[StalenessThreshold] != "" {
		fleet = append(fleet, tableW(PanelStale,
			[]DatadogQuery{scalar("since_success", LastSuccess), scalar("threshold", StalenessThreshold)},
			DatadogFormula{Formula: "since_success - threshold", Alias: "Overdue by (s)", ConditionalFormats: red}))
	}
	ddRunState := s.Datadog[CurrentRun] != "" && s.Datadog[RunTimeLimit] != "" && s.Datadog[Duration] != ""
	if ddRunState {
		// The monitor's condition: min(current - limit, |current - duration| - 1), red above 0.
		over, going := "current - limit", "abs(current - duration) - 1"
		fleet = append(fleet, tableW(PanelTooLong,
			[]DatadogQuery{scalar("current", CurrentRun), scalar("limit", RunTimeLimit), scalar("duration", Duration)},
			DatadogFormula{Formula: "current", Alias: "Current run (s)"},
			DatadogFormula{Formula: fmt.Sprintf("(%s + %s - abs(%s - (%s))) / 2", over, going, over, going), Alias: "Over the limit by (s)", ConditionalFormats: red}))
	}
	perJob := []DatadogWidget{series(PanelOutcome, "bars", []DatadogQuery{q("failed", ExitCode)},
		DatadogFormula{Formula: "failed", Alias: "Failed (1) or succeeded (0)"})}
	if s.Datadog[LastSuccess] != "" {
		qs := []DatadogQuery{q("since_success", LastSuccess)}
		fs := []DatadogFormula{{Formula: "since_success", Alias: "Seconds since last success"}}
		if s.Datadog[StalenessThreshold] != "" {
			qs = append(qs, q("threshold", StalenessThreshold))
			fs = append(fs, DatadogFormula{Formula: "threshold", Alias: "Threshold (s)"})
		}
		perJob = append(perJob, series(PanelSinceSuccess, "line", qs, fs...))
	}
	if s.Datadog[Duration] != "" {
		perJob = append(perJob, series(PanelDuration, "line", []DatadogQuery{q("duration", Duration)},
			DatadogFormula{Formula: "duration", Alias: "Last run (s)"},
			DatadogFormula{Formula: "median_9(duration)", Alias: "Rolling median of 9 points (s)"}))
	}
	if ddRunState {
		perJob = append(perJob, series(PanelCurrentRun, "line", []DatadogQuery{q("current", CurrentRun), q("limit", RunTimeLimit)},
			DatadogFormula{Formula: "current", Alias: "Current run (s)"}, DatadogFormula{Formula: "limit", Alias: "Limit (s)"}))
	}
	return DatadogDashboard{
		Title:       Title,
		Description: "Per-job view of Argo CronWorkflows monitored by batch-monitoring, on the metrics the argo_workflows check collects.",
		LayoutType:  "ordered",
		TemplateVariables: []DatadogVariable{
			{Name: VarNamespace, Prefix: s.NS, Defaults: []string{"*"}},
			{Name: VarJob, Prefix: s.Job, Defaults: []string{"*"}},
		},
		Widgets: []DatadogWidget{group("Fleet", fleet...), group("Per job", perJob...)},
	}
}

func ptr[T any](v T) *T { return &v }

// DatadogJSON returns the Datadog dashboard as the indented JSON file the chart ships.
func DatadogJSON(s Spec) ([]byte, error) {
	return marshal(Datadog(s))
}
