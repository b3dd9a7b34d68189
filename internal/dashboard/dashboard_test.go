package dashboard_test

import (
	"reflect"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/dashboard"
)

func spec(keys ...string) dashboard.Spec {
	s := dashboard.Spec{NS: "namespace", Job: "cronworkflow", Series: map[string]string{}, Datadog: map[string]string{},
		DatadogTags:  []string{"namespace", "cronworkflow"},
		MedianSeries: "cronworkflow:argo_workflows_duration:median_1h", MedianRange: "1d", MedianWindow: "7d"}
	for _, k := range keys {
		s.Series[k] = "cronworkflow:argo_workflows_" + k + ":last"
		s.Datadog[k] = "argo_workflows." + k
	}
	return s
}

// Panels follow the metrics the recipe emits: a disabled metric takes its panels and queries
// away, in both dashboards.
func TestPanelsFollowMetrics(t *testing.T) {
	all := []string{dashboard.ExitCode, dashboard.Duration, dashboard.LastSuccess, dashboard.StalenessThreshold}
	cases := map[string]struct {
		keys   []string
		panels []string // Grafana panels with queries, in order
		dd     int      // Datadog queries
	}{
		"every metric": {all, []string{dashboard.PanelFailing, dashboard.PanelFailing, dashboard.PanelStale, dashboard.PanelStale,
			dashboard.PanelOutcome, dashboard.PanelSinceSuccess, dashboard.PanelSinceSuccess, dashboard.PanelDuration, dashboard.PanelDuration}, 8},
		"exit code only": {[]string{dashboard.ExitCode}, []string{dashboard.PanelFailing, dashboard.PanelOutcome}, 2},
		"run state": {append(append([]string(nil), all...), dashboard.RunStateKeys...), []string{dashboard.PanelFailing, dashboard.PanelFailing, dashboard.PanelFailing,
			dashboard.PanelStale, dashboard.PanelStale, dashboard.PanelTooLong, dashboard.PanelTooLong, dashboard.PanelOutcome,
			dashboard.PanelSinceSuccess, dashboard.PanelSinceSuccess, dashboard.PanelDuration, dashboard.PanelDuration,
			dashboard.PanelCurrentRun, dashboard.PanelCurrentRun}, 14},
		// The realtime gauge without any limit, or without duration (a run cannot be told from
		// the last one's value): no running-too-long panels.
		"current run, no limit": {append(append([]string(nil), all...), dashboard.CurrentRun), []string{dashboard.PanelFailing, dashboard.PanelFailing, dashboard.PanelStale, dashboard.PanelStale,
			dashboard.PanelOutcome, dashboard.PanelSinceSuccess, dashboard.PanelSinceSuccess, dashboard.PanelDuration, dashboard.PanelDuration}, 8},
		"current run, no duration": {[]string{dashboard.ExitCode, dashboard.CurrentRun, dashboard.RunTimeLimit}, []string{dashboard.PanelFailing, dashboard.PanelOutcome}, 2},
		"no threshold": {[]string{dashboard.ExitCode, dashboard.LastSuccess}, []string{dashboard.PanelFailing, dashboard.PanelFailing,
			dashboard.PanelOutcome, dashboard.PanelSinceSuccess}, 4},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := spec(c.keys...)
			var got []string
			for _, q := range s.Queries() {
				got = append(got, q.Panel)
			}
			if !reflect.DeepEqual(got, c.panels) {
				t.Errorf("queries of panels %v, want %v", got, c.panels)
			}
			d, err := dashboard.Grafana(s)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			ids := map[uint32]bool{}
			for _, p := range d.Panels {
				id := uint32(0)
				if p.RowPanel != nil {
					id = p.RowPanel.Id
				}
				if p.Panel != nil {
					n += len(p.Panel.Targets)
					if p.Panel.Id != nil {
						id = *p.Panel.Id
					}
				}
				if id == 0 || ids[id] {
					t.Errorf("panel id %d missing or repeated", id)
				}
				ids[id] = true
			}
			if n != len(c.panels) {
				t.Errorf("Grafana dashboard has %d queries, want %d", n, len(c.panels))
			}
			if got := len(dashboard.DatadogQueries(dashboard.Datadog(s))); got != c.dd {
				t.Errorf("Datadog dashboard has %d queries, want %d", got, c.dd)
			}
		})
	}
}
