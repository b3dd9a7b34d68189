package lint

import (
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// ChartValues compares what each CronWorkflow of the stream exports with what the
// batch-monitoring chart reads when given a values file whose argoMetricsConfig is chart (`lint
// --chart-values FILE`): the chart's alerts, Datadog check and dashboards read each enabled
// metric by its name, with exactly the recipe's label keys (one series per job). A CronWorkflow
// carrying argo-metrics-gen's metrics under other names or label keys (injected with another
// configuration than the chart's) is alerted on by nothing: an error. A metric the CronWorkflow
// exports and the chart does not read is a warning (it costs a series and alerts nobody).
func ChartValues(chart *config.Config, file string, resources []*manifest.Resource) []Finding {
	want := map[string]string{} // metric name -> its config key, for the messages
	var order []string
	m := chart.Spec.Metrics
	for _, e := range []struct {
		key string
		m   config.Metric
	}{{"exitCode", m.ExitCode}, {"duration", m.Duration}, {"lastSuccess", m.LastSuccess}, {"stalenessThreshold", m.StalenessThreshold},
		{"currentRun", m.CurrentRun}, {"runTimeFactor", m.RunTimeFactor}, {"runTimeLimit", m.RunTimeLimit},
		{"consecutiveFailures", m.ConsecutiveFailures}, {"failureThreshold", m.FailureThreshold}} {
		if *e.m.Enabled {
			want[e.m.Name] = e.key
			order = append(order, e.m.Name)
		}
	}
	keys := []string{chart.Spec.Labels.Namespace, chart.Spec.Labels.Name}
	for k := range chart.Spec.Labels.Static {
		keys = append(keys, k)
	}
	for k := range chart.Spec.Labels.FromResource {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wantKeys := strings.Join(keys, ",")

	l := &linter{cfg: chart}
	for _, r := range resources {
		if r.Kind != config.KindCronWorkflow {
			continue
		}
		list := manifest.Lookup(r.Node, "spec", "workflowSpec", "metrics", "prometheus")
		managed := map[string]bool{}
		for _, n := range strings.Split(scalar(manifest.Lookup(r.Node, "metadata", "annotations"), config.AnnotationManaged), ",") {
			if n = strings.TrimSpace(n); n != "" {
				managed[n] = true
			}
		}
		found := map[string]*yaml.Node{}
		if list != nil && list.Kind == yaml.SequenceNode {
			for _, item := range list.Content {
				item = manifest.Deref(item)
				if name := scalar(item, "name"); name != "" && (want[name] != "" || managed[name]) {
					if _, seen := found[name]; !seen {
						found[name] = item
					}
				}
			}
		}
		if len(found) == 0 {
			continue // carries none of argo-metrics-gen's metrics: the coverage rule's business
		}
		for _, name := range order {
			item, ok := found[name]
			if !ok {
				l.add(r, r.Node, Error, "chart-values", fmt.Sprintf("the chart (%s) reads argo_workflows_%s (argoMetricsConfig spec.metrics.%s), which this CronWorkflow does not export: its alerts and dashboards never see this job (injected with another configuration? give argo-metrics-gen the same file: --config %s)", file, name, want[name], file))
				continue
			}
			var got []string
			if labels := manifest.Lookup(item, "labels"); labels != nil {
				for _, lb := range labels.Content {
					got = append(got, scalar(manifest.Deref(lb), "key"))
				}
			}
			sort.Strings(got)
			if g := strings.Join(got, ","); g != wantKeys {
				l.add(r, item, Error, "chart-values", fmt.Sprintf("argo_workflows_%s has the label keys [%s]; the chart (%s) groups its alerts by [%s]: its rules and monitors would merge or miss this job's series (give argo-metrics-gen the same file: --config %s)", name, g, file, wantKeys, file))
			}
		}
		for name, item := range found {
			if want[name] == "" {
				l.add(r, item, Warning, "chart-values", fmt.Sprintf("argo_workflows_%s is argo-metrics-gen's (managed-metrics annotation) but the chart (%s) reads no such metric: a series nobody alerts on", name, file))
			}
		}
	}
	sort.SliceStable(l.findings, func(i, j int) bool { return l.findings[i].Line < l.findings[j].Line })
	return l.findings
}
