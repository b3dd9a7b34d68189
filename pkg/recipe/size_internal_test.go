package recipe

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestNodesSized: Nodes allocates its tree once at its size: size counts exactly the distinct
// nodes, keys and content slots of what Nodes returns, for every metric shape the recipe
// builds and for lists whose metrics do not share their labels.
func TestNodesSized(t *testing.T) {
	on := true
	all := config.Default()
	for _, m := range []*config.Metric{&all.Spec.Metrics.StalenessThreshold, &all.Spec.Metrics.RunTimeLimit, &all.Spec.Metrics.CurrentRun,
		&all.Spec.Metrics.RunTimeFactor, &all.Spec.Metrics.ConsecutiveFailures, &all.Spec.Metrics.FailureThreshold, &all.Spec.Metrics.Duration} {
		m.Enabled = &on
	}
	job := Job{Name: "nightly", Static: map[string]string{"team": "data", "tier": "gold"}, StalenessThresholdSeconds: 90000, RunTimeLimitSeconds: 3600}
	own := BuildJob(all, job)
	for i := range own {
		own[i].Labels = append([]Label(nil), own[i].Labels...) // equal lists, not shared
	}
	cases := map[string][]Metric{
		"default":            Build(config.Default(), "x", nil),
		"every metric":       BuildJob(all, job),
		"labels not shared":  own,
		"no labels, no when": {{Name: "a", Help: "h", Gauge: Gauge{Value: "1"}}, {Name: "b", Help: "h", Gauge: Gauge{Value: "2", Operation: "Add"}}},
		"realtime only":      {{Name: "a", Help: "h", Labels: []Label{{"k", "v"}}, Gauge: Gauge{Value: "1", Realtime: true}}},
	}
	for name, ms := range cases {
		seen := map[*yaml.Node]bool{}
		keys := map[*yaml.Node]bool{}
		slots := 0
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if seen[n] {
				return
			}
			seen[n] = true
			slots += len(n.Content)
			for i, c := range n.Content {
				if n.Kind == yaml.MappingNode && i%2 == 0 {
					keys[c] = true
				}
				walk(c)
			}
		}
		for _, n := range Nodes(ms) {
			walk(n)
		}
		wantNodes, wantSlots, wantKeys := size(ms)
		if len(seen) != wantNodes || slots != wantSlots || len(keys) != wantKeys {
			t.Errorf("%s: Nodes built %d nodes (%d keys), %d slots; size says %d (%d), %d", name, len(seen), len(keys), slots, wantNodes, wantKeys, wantSlots)
		}
	}
}
