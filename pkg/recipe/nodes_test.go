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
// (sigs.k8s.io/yaml), as exactly that metric: its own name, help, labels, when and gauge.
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
