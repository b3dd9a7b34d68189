package recipe_test

import (
	"reflect"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// TestNodesReadBack: every metric Nodes renders reads back, as Kubernetes reads YAML
// (sigs.k8s.io/yaml), as exactly that metric: its own name, help, labels, when and gauge,
// although metrics share key nodes and a job's label list; Metric.Node on its own too.
func TestNodesReadBack(t *testing.T) {
	c, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\n" +
		"spec: {metrics: {currentRun: {enabled: true}, consecutiveFailures: {enabled: true}}, labels: {static: {team: data}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	job := recipe.BuildJob(c, recipe.Job{Name: "nightly", Static: map[string]string{"team": "data"}, StalenessThresholdSeconds: 90000, RunTimeLimitSeconds: 3600})
	own := []recipe.Metric{
		{Name: "a", Help: "yes", Labels: []recipe.Label{{Key: "k", Value: "on"}}, Gauge: recipe.Gauge{Value: "1", Realtime: true}},
		{Name: "b", Help: "B: two", Labels: []recipe.Label{{Key: "x", Value: "1"}, {Key: "y", Value: "2"}}, When: "{{=true}}", Gauge: recipe.Gauge{Value: "2", Operation: "Add"}},
		{Name: "c", Help: "c", Gauge: recipe.Gauge{Value: "3"}},
		{Name: "d", Help: "d", Labels: []recipe.Label{{Key: "x", Value: "3"}, {Key: "z", Value: "4"}}, Gauge: recipe.Gauge{Value: "4"}}, // as many labels as b, others
		{Name: "e", Help: "e", Gauge: recipe.Gauge{Value: "5"}},
		{Name: "g", Help: "g", Labels: []recipe.Label{{Key: "k", Value: "off"}}, Gauge: recipe.Gauge{Value: "7"}}, // as many labels as a, others
		{Name: "f", Help: "f", Labels: []recipe.Label{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}, {Key: "d", Value: "4"}, {Key: "e", Value: "5"}}, Gauge: recipe.Gauge{Value: "6"}},
	}
	for name, ms := range map[string][]recipe.Metric{"a job's metrics": job, "metrics with their own labels": own, "none labelled": {own[2], own[4]}} {
		nodes := recipe.Nodes(ms)
		if len(nodes) != len(ms) {
			t.Fatalf("%s: %d nodes for %d metrics", name, len(nodes), len(ms))
		}
		for i, n := range append(nodes, nodesOneByOne(ms)...) {
			i %= len(ms)
			text, err := yaml.Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			var got recipe.Metric
			if err := sigyaml.UnmarshalStrict(text, &got); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, text)
			}
			want := ms[i]
			if len(want.Labels) == 0 && len(got.Labels) == 0 {
				want.Labels, got.Labels = nil, nil // "labels: []" for none
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: metric %d reads back as\n%+v\nwant\n%+v\n%s", name, i, got, want, text)
			}
		}
	}
	if len(job) < 4 {
		t.Fatalf("only %d metrics: the configuration above enables more", len(job))
	}
}

// nodesOneByOne renders each metric on its own (Metric.Node).
func nodesOneByOne(ms []recipe.Metric) []*yaml.Node {
	var out []*yaml.Node
	for _, m := range ms {
		out = append(out, m.Node())
	}
	return out
}

// TestNodesAllocationsScale: the trees come from arrays sized up front, so rendering costs no
// allocation per label and the same number for every further metric, whether it shares the
// label list or has its own (a short size would send nodes to the heap one by one). Metrics
// here have every optional field: the sizes' worst case.
func TestNodesAllocationsScale(t *testing.T) {
	perMetric := map[bool]float64{}
	for _, own := range []bool{false, true} { // one label list for all, or one each
		allocs := func(metrics, labels int) float64 {
			ms := make([]recipe.Metric, metrics)
			var ls []recipe.Label
			for i := range ms {
				if i == 0 || own {
					ls = make([]recipe.Label, labels)
					for j := range ls {
						ls[j] = recipe.Label{Key: "k" + string(rune('a'+j)), Value: "v"}
					}
				}
				ms[i] = recipe.Metric{Name: "m", Help: "h", Labels: ls, When: "{{=true}}", Gauge: recipe.Gauge{Value: "1", Realtime: true, Operation: "Add"}}
			}
			return testing.AllocsPerRun(20, func() { recipe.Nodes(ms) })
		}
		one, two := allocs(1, 1), allocs(2, 1)
		perMetric[own] = two - one
		for _, c := range [][2]int{{1, 0}, {1, 6}, {2, 6}, {12, 1}, {12, 6}} {
			if got, want := allocs(c[0], c[1]), one+float64(c[0]-1)*(two-one); got != want {
				t.Errorf("own lists %v, %d metrics with %d labels: %v allocations, want %v (%v for one metric, %v more per metric)", own, c[0], c[1], got, want, one, two-one)
			}
		}
	}
	if perMetric[true] != perMetric[false] {
		t.Errorf("a metric with its own label list costs %v allocations, with the shared list %v: its list's nodes went to the heap", perMetric[true], perMetric[false])
	}
}
