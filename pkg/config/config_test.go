package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

const header = "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: t\n"

// testCase is one entry of testdata/cases.yaml, which feeds the Go loader, the JSON Schema
// and (in internal/chart) the chart's values.
type testCase struct {
	Name     string `yaml:"name"`
	Doc      string `yaml:"doc"`
	WantErr  string `yaml:"wantErr"` // substring of the loader's error; empty means valid
	Semantic bool   `yaml:"semantic"`
}

var cases = func() map[string]testCase {
	raw, err := os.ReadFile("testdata/cases.yaml")
	if err != nil {
		panic(err)
	}
	var list []testCase
	if err := yaml.Unmarshal(raw, &list); err != nil {
		panic(err)
	}
	out := map[string]testCase{}
	for _, c := range list {
		if _, dup := out[c.Name]; dup {
			panic("testdata/cases.yaml: case " + c.Name + " twice")
		}
		out[c.Name] = c
	}
	return out
}()

func TestParse(t *testing.T) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.Doc))
			switch {
			case tc.WantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.WantErr != "" && err == nil:
				t.Fatalf("expected error containing %q", tc.WantErr)
			case tc.WantErr != "" && !strings.Contains(err.Error(), tc.WantErr):
				t.Fatalf("error %q does not contain %q", err, tc.WantErr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := config.Parse([]byte(header))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Spec.Metrics.ExitCode.Name, "exit_code"; got != want {
		t.Errorf("exit code name %q, want %q", got, want)
	}
	if got, want := c.Spec.Labels.Name, "cronworkflow"; got != want {
		t.Errorf("name label %q, want %q", got, want)
	}
	if !reflect.DeepEqual(c.Spec.Kinds, []string{"CronWorkflow"}) {
		t.Errorf("kinds %v", c.Spec.Kinds)
	}
	if !reflect.DeepEqual(c.Spec, config.Default().Spec) {
		t.Errorf("an empty spec differs from Default()")
	}
}

func TestStaticLabels(t *testing.T) {
	c, err := config.Parse([]byte(header + "spec:\n  labels:\n    static: {team: platform, tier: bronze}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.JobLabels(nil, " team = payments ")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"team": "payments", "tier": "bronze"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	for _, bad := range []string{"owner=x", "team", "team="} {
		if _, err := c.JobLabels(nil, bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func TestSelects(t *testing.T) {
	c, err := config.Parse([]byte(header + "spec:\n  selector:\n    namespaces: [batch]\n    labelSelector: \"tier!=dev\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ns     string
		labels map[string]string
		want   bool
	}{
		{"batch", nil, true},
		{"batch", map[string]string{"tier": "dev"}, false},
		{"other", nil, false},
		{"", nil, false},
	} {
		if got := c.Selects(tc.ns, tc.labels); got != tc.want {
			t.Errorf("Selects(%q, %v) = %v, want %v", tc.ns, tc.labels, got, tc.want)
		}
	}
}

// TestSchemaAgrees checks that schema/argometricsconfig.schema.json accepts exactly what the
// loader accepts, except for cross-field rules a schema cannot express.
func TestSchemaAgrees(t *testing.T) {
	schema := compileSchema(t)
	for name, tc := range cases {
		if name == "two documents" || name == "not yaml" {
			continue // not a single YAML object: nothing for a schema to judge
		}
		t.Run(name, func(t *testing.T) {
			js, err := sigyaml.YAMLToJSON([]byte(tc.Doc))
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(js)))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := schema.Validate(v)
			wantValid := tc.WantErr == "" || tc.Semantic
			if wantValid && schemaErr != nil {
				t.Errorf("schema rejects a config the loader accepts: %v", schemaErr)
			}
			if !wantValid && schemaErr == nil {
				t.Errorf("schema accepts a config the loader rejects (%s)", tc.WantErr)
			}
		})
	}
}

// TestSchemaCoversFields keeps the schema's properties and the Go fields in step.
func TestSchemaCoversFields(t *testing.T) {
	raw, err := os.ReadFile("../../schema/argometricsconfig.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	defs := s["$defs"].(map[string]any)
	var check func(path string, schema map[string]any, typ reflect.Type)
	check = func(path string, schema map[string]any, typ reflect.Type) {
		if ref, ok := schema["$ref"].(string); ok {
			schema = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		props, _ := schema["properties"].(map[string]any)
		fields := map[string]bool{}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = true
			sub, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("schema lacks %s%s", path, name)
				continue
			}
			check(path+name+".", sub, f.Type)
		}
		for name := range props {
			if !fields[name] {
				t.Errorf("schema has %s%s, which the Go type does not", path, name)
			}
		}
	}
	check("", s, reflect.TypeOf(config.Config{}))
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../schema/argometricsconfig.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSelectsEverythingByDefault: without spec.selector every resource is treated, in any
// namespace and with any labels.
func TestSelectsEverythingByDefault(t *testing.T) {
	c := config.Default()
	for _, ns := range []string{"batch", ""} {
		if !c.Selects(ns, map[string]string{"tier": "dev"}) {
			t.Errorf("the default configuration does not select a resource in namespace %q", ns)
		}
	}
}

// TestSettings: a job's annotations override the run-state settings of the configuration; the
// bounds are those of the configuration fields (at least 1, a factor above 0).
func TestSettings(t *testing.T) {
	c, err := config.Parse([]byte(header + "spec:\n  runTime:\n    factor: 2.5\n  consecutiveFailures:\n    threshold: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := c.Settings(nil)
	if err != nil || js != (config.JobSettings{RunTimeFactor: 2.5, FailureThreshold: 4}) {
		t.Errorf("no annotations: got %+v, %v; want the configuration's factor 2.5 and threshold 4", js, err)
	}
	js, err = c.Settings(map[string]string{
		config.AnnotationRunTimeFactor:       " 1.5 ",
		config.AnnotationConsecutiveFailures: "1",
		config.AnnotationMaxRunSeconds:       "1",
	})
	if err != nil || js != (config.JobSettings{RunTimeFactor: 1.5, FailureThreshold: 1, MaxRunSeconds: 1}) {
		t.Errorf("annotations: got %+v, %v", js, err)
	}
	for key, values := range map[string][]string{
		config.AnnotationRunTimeFactor:       {"0", "-1", "x", "2000000"},
		config.AnnotationConsecutiveFailures: {"0", "-3", "1.5"},
		config.AnnotationMaxRunSeconds:       {"0", "-60", "1h"},
	} {
		for _, v := range values {
			if _, err := c.Settings(map[string]string{key: v}); err == nil || !strings.Contains(err.Error(), key) {
				t.Errorf("%s=%q: got %v, want an error naming the annotation", key, v, err)
			}
		}
	}
}

// TestStaticLabelsUndeclared: an override of an undeclared label says which keys may be
// overridden, or that none are declared.
func TestStaticLabelsUndeclared(t *testing.T) {
	if _, err := config.Default().JobLabels(nil, "team=a"); err == nil || !strings.Contains(err.Error(), "(none are declared)") {
		t.Errorf("no static labels: got %v, want an error saying none are declared", err)
	}
	c, err := config.Parse([]byte(header + "spec:\n  labels:\n    static: {tier: bronze, team: platform}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.JobLabels(nil, "owner=x"); err == nil || !strings.Contains(err.Error(), "(declared: team, tier)") {
		t.Errorf("got %v, want an error listing the declared keys", err)
	}
}

// TestLoadFileNamesTheFile: a configuration error reads "FILE:LINE: field: problem", as an
// editor jumps to it; a missing file is an error too.
func TestLoadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "amg.yaml")
	if err := os.WriteFile(path, []byte(header+"spec:\n  takeOver: \"yes\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadFile(path); err == nil || !strings.HasPrefix(err.Error(), path+":6: spec.takeOver: expected true or false") {
		t.Errorf("got %v, want %s:6: spec.takeOver: …", err, path)
	}
	if _, err := config.LoadFile(path + ".missing"); err == nil {
		t.Error("a missing file loaded")
	}
	os.WriteFile(path, []byte(header), 0o600)
	if c, err := config.LoadFile(path); err != nil || c.Spec.Metrics.ExitCode.Name != "exit_code" {
		t.Errorf("got %+v, %v", c, err)
	}
}

// TestKeysReadAsText: a key means its text, as kyaml (Kustomize, kpt) reads a functionConfig,
// so `1` and "1" (or true and "true") are one key and refused as a duplicate, while `0x1` and
// `1` are two keys kept as written.
func TestKeysReadAsText(t *testing.T) {
	for keys, want := range map[[2]string]string{
		{`1`, `"1"`}:       `7: metadata.labels.1: duplicate key`,
		{`true`, `"true"`}: `7: metadata.labels.true: duplicate key`,
		{`"a"`, `a`}:       `7: metadata.labels.a: duplicate key`,
		{`0x1`, `1`}:       "",
		{`yes`, `"true"`}:  "",
	} {
		doc := strings.Replace(header, "  name: t\n", "  name: t\n  labels:\n    "+keys[0]+": a\n    "+keys[1]+": b\n", 1)
		c, err := config.Parse([]byte(doc))
		if want != "" {
			if err == nil || err.Error() != want {
				t.Errorf("%v: got %v, want %q", keys, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", keys, err)
			continue
		}
		text := func(k string) string { return strings.Trim(k, `"`) }
		if got := c.Metadata.Labels; len(got) != 2 || got[text(keys[0])] != "a" || got[text(keys[1])] != "b" {
			t.Errorf("%v: labels %v, want each key as written", keys, got)
		}
	}
}

// TestTreats: by default only CronWorkflows are treated; spec.kinds names exactly the kinds that are.
func TestTreats(t *testing.T) {
	c, err := config.Parse([]byte(header + "spec:\n  kinds: [Workflow, WorkflowTemplate]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  *config.Config
		kind string
		want bool
	}{
		{config.Default(), config.KindCronWorkflow, true},
		{config.Default(), config.KindWorkflow, false},
		{c, config.KindWorkflow, true},
		{c, config.KindWorkflowTemplate, true},
		{c, config.KindCronWorkflow, false},
		{c, config.KindClusterWorkflowTemplate, false},
	} {
		if got := tc.cfg.Treats(tc.kind); got != tc.want {
			t.Errorf("kinds %v: Treats(%s) = %v, want %v", tc.cfg.Spec.Kinds, tc.kind, got, tc.want)
		}
	}
}

// TestLoadValuesFile: a chart values file is a configuration: its argoMetricsConfig, with
// apiVersion and kind implied as Helm merges them from the chart's values.yaml; the defaults
// when it has none. Errors name the line in the values file and the path under the key.
func TestLoadValuesFile(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ text, want, wantErr string }{
		"spec only":      {text: "datadog:\n  enabled: true\nargoMetricsConfig:\n  spec:\n    labels:\n      static: {tier: gold}\n", want: "tier"},
		"verbatim":       {text: "argoMetricsConfig:\n" + indent(header) + "  spec:\n    metrics:\n      exitCode: {name: failed}\n", want: "failed"},
		"no config":      {text: "datadog:\n  enabled: false\n", want: "exit_code"},
		"null config":    {text: "argoMetricsConfig:\n", want: "exit_code"},
		"error line":     {text: "datadog: {}\nargoMetricsConfig:\n  spec:\n    takeOver: \"yes\"\n", wantErr: `:4: argoMetricsConfig.spec.takeOver: expected true or false, got str "yes"`},
		"semantic error": {text: "argoMetricsConfig:\n  spec:\n    labels:\n      name: namespace\n", wantErr: `:4: argoMetricsConfig.spec.labels.name: label key "namespace" is already used by spec.labels.namespace`},
		"wrong kind":     {text: "argoMetricsConfig:\n  kind: Other\n", wantErr: `:2: argoMetricsConfig.kind: must be "ArgoMetricsConfig", got "Other"`},
		"not a mapping":  {text: "argoMetricsConfig: [a]\n", wantErr: `:1: argoMetricsConfig: expected a mapping, got a list`},
		"duplicate key":  {text: "argoMetricsConfig: {}\nargoMetricsConfig: {}\n", wantErr: `:2: argoMetricsConfig: duplicate key`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := config.LoadFile(path)
			if tc.wantErr != "" {
				if err == nil || err.Error() != path+tc.wantErr {
					t.Fatalf("got %v, want %s%s", err, path, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Spec.Labels.Static[tc.want] == "" && c.Spec.Metrics.ExitCode.Name != tc.want {
				t.Errorf("configuration %+v does not carry %q", c.Spec, tc.want)
			}
		})
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// TestJobLabels: a FromResource label takes the resource's own label (under its configured
// key), the default where the resource has none or an empty one, and the annotation's override
// last; a value Kubernetes would refuse on a label is refused, naming the label.
func TestJobLabels(t *testing.T) {
	c, err := config.Parse([]byte(header + "spec:\n  labels:\n    static: {tier: gold}\n    fromResource:\n      team: {}\n      owner: {label: example.com/owner, default: nobody}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		labels     map[string]string
		annotation string
		want       map[string]string
		wantErr    string
	}{
		{nil, "", map[string]string{"tier": "gold", "team": "unknown", "owner": "nobody"}, ""},
		{map[string]string{"team": "payments", "example.com/owner": "ada", "owner": "ignored"}, "", map[string]string{"tier": "gold", "team": "payments", "owner": "ada"}, ""},
		{map[string]string{"team": ""}, "", map[string]string{"tier": "gold", "team": "unknown", "owner": "nobody"}, ""},
		{map[string]string{"team": "payments"}, "team=billing,tier=silver", map[string]string{"tier": "silver", "team": "billing", "owner": "nobody"}, ""},
		{map[string]string{"team": "Payments Team"}, "", nil, `metadata.labels.team: "Payments Team" is not a valid label value`},
		{map[string]string{"example.com/owner": strings.Repeat("a", 64)}, "", nil, "metadata.labels.example.com/owner"},
		{map[string]string{"team": "-x"}, "", nil, "metadata.labels.team"},
		{nil, "cost=1", nil, `label "cost" is not declared in spec.labels.static or spec.labels.fromResource of the config (declared: owner, team, tier)`},
	} {
		got, err := c.JobLabels(tc.labels, tc.annotation)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v %q: got %v, want an error containing %q", tc.labels, tc.annotation, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v %q: got %v, %v; want %v", tc.labels, tc.annotation, got, err, tc.want)
		}
	}
}

// TestSchemaPatterns: the schema states the loader's own patterns.
func TestSchemaPatterns(t *testing.T) {
	raw, err := os.ReadFile("../../schema/argometricsconfig.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	at := func(keys ...string) any {
		v := s
		for _, k := range keys {
			v = v.(map[string]any)[k]
		}
		return v
	}
	spec := []string{"properties", "spec", "properties"}
	if got := at(append(spec, "selector", "properties", "labelSelector", "pattern")...); got != config.LabelSelectorPattern {
		t.Errorf("labelSelector pattern %v, want config.LabelSelectorPattern", got)
	}
	if got := at(append(spec, "labels", "properties", "fromResource", "additionalProperties", "properties", "label", "pattern")...); got != config.ResourceLabelKeyPattern {
		t.Errorf("fromResource label pattern %v, want config.ResourceLabelKeyPattern", got)
	}
}
