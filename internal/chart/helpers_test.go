package chart_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// chartDir is the chart under test, seen from this package.
var chartDir = filepath.Join("..", "..", filepath.FromSlash(chart.Dir))

// Every API the chart can target; "no APIs" is Helm's default set (core only).
var (
	apiDatadogMonitor   = "datadoghq.com/v1alpha1/DatadogMonitor"
	apiDatadogDashboard = "datadoghq.com/v1alpha1/DatadogDashboard"
	apiPodMonitor       = "monitoring.coreos.com/v1/PodMonitor"
	apiPrometheusRule   = "monitoring.coreos.com/v1/PrometheusRule"
	apiPodMonitoring    = "monitoring.googleapis.com/v1/PodMonitoring"
	apiRules            = "monitoring.googleapis.com/v1/Rules"
	allAPIs             = []string{apiDatadogMonitor, apiDatadogDashboard, apiPodMonitor, apiPrometheusRule, apiPodMonitoring, apiRules}
)

func render(t *testing.T, vals map[string]any, apis ...string) *chart.Result {
	t.Helper()
	res, err := chart.Render(chartDir, vals, chart.Options{APIVersions: apis})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return res
}

func scenario(t *testing.T, file string) map[string]any {
	t.Helper()
	v, err := chart.ValuesFile(filepath.Join(chartDir, "ci", file))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func str(t *testing.T, v any, keys ...any) string {
	t.Helper()
	x, err := chart.Path(v, keys...)
	if err != nil {
		t.Fatalf("%v: %v", keys, err)
	}
	s, ok := x.(string)
	if !ok {
		t.Fatalf("%v: %T, not a string", keys, x)
	}
	return s
}

// configValues returns chart values whose argoMetricsConfig is an ArgoMetricsConfig file
// (path relative to the repository root), as a user pastes it.
func configValues(t *testing.T, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := sigyaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"argoMetricsConfig": cfg}
}

// runStateValues: the configuration of examples/run-state/config.yaml, every run-state metric on.
func runStateValues(t *testing.T) map[string]any {
	return configValues(t, "examples/run-state/config.yaml")
}

// copyChart copies the chart to a temporary directory, for tests that add files.
func copyChart(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "batch-monitoring")
	err := filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(chartDir, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// CRD schemas (testdata/crds, extracted from the operators' CRDs), compiled strictly: an
// unknown field is an error, as with kubectl's strict field validation.
var (
	crdOnce    sync.Once
	crdSchemas map[string]*jsonschema.Schema // "apiVersion/Kind" -> schema
	crdErr     error
)

func crdSchema(t *testing.T, apiVersion, kind string) *jsonschema.Schema {
	t.Helper()
	crdOnce.Do(func() {
		crdSchemas = map[string]*jsonschema.Schema{}
		files, _ := filepath.Glob(filepath.Join("testdata", "crds", "*.json"))
		for _, f := range files {
			var crd struct {
				APIVersion string         `json:"apiVersion"`
				Kind       string         `json:"kind"`
				Schema     map[string]any `json:"schema"`
			}
			b, err := os.ReadFile(f)
			if err == nil {
				err = json.Unmarshal(b, &crd)
			}
			if err != nil {
				crdErr = err
				return
			}
			strict(crd.Schema)
			c := jsonschema.NewCompiler()
			if err := c.AddResource(f, crd.Schema); err != nil {
				crdErr = err
				return
			}
			s, err := c.Compile(f)
			if err != nil {
				crdErr = err
				return
			}
			crdSchemas[crd.APIVersion+"/"+crd.Kind] = s
		}
	})
	if crdErr != nil {
		t.Fatal(crdErr)
	}
	s := crdSchemas[apiVersion+"/"+kind]
	if s == nil {
		t.Fatalf("no CRD schema for %s %s", apiVersion, kind)
	}
	return s
}

// strict closes every object schema that lists properties and does not preserve unknown fields.
func strict(n any) {
	switch n := n.(type) {
	case map[string]any:
		if _, ok := n["properties"]; ok {
			if _, has := n["additionalProperties"]; !has && n["x-kubernetes-preserve-unknown-fields"] != true {
				n["additionalProperties"] = false
			}
		}
		// metadata is validated by the API server, not by the CRD schema.
		if props, ok := n["properties"].(map[string]any); ok {
			if _, ok := props["metadata"]; ok {
				props["metadata"] = map[string]any{"type": "object"}
			}
		}
		for _, v := range n {
			strict(v)
		}
	case []any:
		for _, v := range n {
			strict(v)
		}
	}
}

// validateCRD checks a rendered custom resource against its CRD schema.
func validateCRD(t *testing.T, o chart.Object) {
	t.Helper()
	s := crdSchema(t, o.APIVersion, o.Kind)
	// Round trip through JSON: the validator wants JSON types.
	b, err := json.Marshal(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s %s does not match its CRD schema: %v", o.Kind, o.Name, err)
	}
}

var ddMetricRE = regexp.MustCompile(`argo_workflows\.[a-z_]+`)

// ddQueryParts returns the metric names and the tags of every "by {...}" of a Datadog query.
func ddQueryParts(q string) (metrics []string, groups [][]string) {
	metrics = ddMetricRE.FindAllString(q, -1)
	for _, m := range regexp.MustCompile(`by \{([^}]*)\}`).FindAllStringSubmatch(q, -1) {
		groups = append(groups, strings.Split(m[1], ","))
	}
	return metrics, groups
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
