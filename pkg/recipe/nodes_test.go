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
// although metrics share key nodes and a job's label list.
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
	}
	for name, ms := range map[string][]recipe.Metric{"a job's metrics": job, "metrics with their own labels": own} {
		nodes := recipe.Nodes(ms)
		if len(nodes) != len(ms) {
			t.Fatalf("%s: %d nodes for %d metrics", name, len(nodes), len(ms))
		}
		for i, n := range nodes {
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

// TestNodesAllocationsScale: the trees come from arrays sized up front, so rendering costs no
// allocation per label and the same number for every further metric (a short size would send
// nodes to the heap one by one). Metrics here have every optional field: the sizes' worst case.
func TestNodesAllocationsScale(t *testing.T) {
	allocs := func(metrics, labels int) float64 {
		ls := make([]recipe.Label, labels)
		for i := range ls {
			ls[i] = recipe.Label{Key: "k" + string(rune('a'+i)), Value: "v"}
		}
		ms := make([]recipe.Metric, metrics)
		for i := range ms {
			ms[i] = recipe.Metric{Name: "m", Help: "h", Labels: ls, When: "{{=true}}", Gauge: recipe.Gauge{Value: "1", Realtime: true, Operation: "Add"}}
		}
		return testing.AllocsPerRun(20, func() { recipe.Nodes(ms) })
	}
	one, two := allocs(1, 0), allocs(2, 0)
	for _, c := range [][2]int{{1, 1}, {1, 6}, {2, 6}, {12, 0}, {12, 6}} {
		if got, want := allocs(c[0], c[1]), one+float64(c[0]-1)*(two-one); got != want {
			t.Errorf("%d metrics with %d labels: %v allocations, want %v (%v for one metric, %v more per metric)", c[0], c[1], got, want, one, two-one)
		}
	}
}
