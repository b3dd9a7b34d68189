package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	sigyaml "sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

const header = "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: t\n"

// cases feed both the Go loader and the JSON Schema. semantic marks rules only the loader can
// check (a schema sees neither across fields nor duplicate keys).
var cases = map[string]struct {
	doc      string
	wantErr  string // substring of the loader's error; empty means valid
	semantic bool
}{
	"empty spec":        {doc: header},
	"null spec":         {doc: header + "spec:\n"},
	"full":              {doc: header + "spec:\n  metrics:\n    exitCode: {name: job_failed, help: failed}\n    duration: {enabled: false}\n    lastSuccess: {name: ok_ts}\n  labels:\n    namespace: job_namespace\n    name: job\n    static: {team: data}\n  kinds: [CronWorkflow, WorkflowTemplate]\n  selector:\n    namespaces: [a, b]\n    labelSelector: \"team=data,tier!=dev\"\n  takeOver: true\n"},
	"unknown top field": {doc: header + "specs: {}\n", wantErr: `5: specs: unknown field (known fields: apiVersion, kind, metadata, spec)`},
	"unknown nested":    {doc: header + "spec:\n  metrics:\n    exitcode: {}\n", wantErr: "7: spec.metrics.exitcode: unknown field (known fields: consecutiveFailures, currentRun, duration, exitCode, failureThreshold, lastSuccess, runTimeFactor, runTimeLimit, stalenessThreshold)"},
	"wrong type bool":   {doc: header + "spec:\n  takeOver: \"yes\"\n", wantErr: `6: spec.takeOver: expected true or false, got str "yes"`},
	"wrong type list":   {doc: header + "spec:\n  kinds: CronWorkflow\n", wantErr: `6: spec.kinds: expected a list, got str "CronWorkflow"`},
	"wrong type map":    {doc: header + "spec:\n  labels: [a]\n", wantErr: "6: spec.labels: expected a mapping, got a list"},
	"wrong apiVersion":  {doc: strings.Replace(header, "v1alpha1", "v1", 1), wantErr: `1: apiVersion: must be "argo-metrics-gen.io/v1alpha1"`},
	"wrong kind":        {doc: strings.Replace(header, "ArgoMetricsConfig", "Other", 1), wantErr: `2: kind: must be "ArgoMetricsConfig", got "Other"`},
	"no kind":           {doc: strings.Replace(header, "kind: ArgoMetricsConfig\n", "", 1), wantErr: `1: kind: must be "ArgoMetricsConfig", got ""`},
	// In a block list the error names the item's own line, not the list's.
	"unknown kind, block list":   {doc: header + "spec:\n  kinds:\n    - CronJob\n    - CronWorkflow\n", wantErr: `7: spec.kinds[0]: "CronJob" is not one of`},
	"duplicate kind, block list": {doc: header + "spec:\n  kinds:\n    - CronWorkflow\n    - Workflow\n    - CronWorkflow\n", wantErr: `9: spec.kinds[2]: "CronWorkflow" is listed twice`},
	// Every entry of a map or list is checked, not only the first.
	"static value not a string": {doc: header + "spec:\n  labels:\n    static: {team: a, tier: [b]}\n", wantErr: `7: spec.labels.static.tier: expected a string, got a list`},
	"duplicate static key":      {doc: header + "spec:\n  labels:\n    static:\n      team: a\n      team: b\n", wantErr: `9: spec.labels.static.team: duplicate key`, semantic: true},
	"kind not a string":         {doc: header + "spec:\n  kinds: [CronWorkflow, {a: b}]\n", wantErr: `6: spec.kinds[1]: expected a string, got a mapping`},
	// The documented bounds are inclusive: one failure alerts, no grace for the run, a factor of 10⁶.
	"threshold of one":               {doc: header + "spec:\n  consecutiveFailures:\n    threshold: 1\n"},
	"no expected duration":           {doc: header + "spec:\n  staleness:\n    expectedDurationSeconds: 0\n"},
	"largest factor":                 {doc: header + "spec:\n  runTime:\n    factor: 1000000\n"},
	"factor too large":               {doc: header + "spec:\n  runTime:\n    factor: 1000001\n", wantErr: "7: spec.runTime.factor: must be a number above 0 and at most 1000000, got 1.000001e+06"},
	"bad metric name":                {doc: header + "spec:\n  metrics:\n    duration: {name: \"run-time\"}\n", wantErr: `7: spec.metrics.duration.name: "run-time" is not a valid metric name`},
	"blank help":                     {doc: header + "spec:\n  metrics:\n    duration: {help: \" \"}\n", wantErr: "spec.metrics.duration.help: must not be blank"},
	"bad label key":                  {doc: header + "spec:\n  labels:\n    name: \"job-name\"\n", wantErr: `7: spec.labels.name: "job-name" is not a valid label key`},
	"reserved key":                   {doc: header + "spec:\n  labels:\n    static: {__x: y}\n", wantErr: "spec.labels.static.__x"},
	"empty static":                   {doc: header + "spec:\n  labels:\n    static: {team: \"\"}\n", wantErr: "label value must not be empty"},
	"templated static":               {doc: header + "spec:\n  labels:\n    static: {run: \"{{workflow.name}}\"}\n", wantErr: "must be static"},
	"unknown kind":                   {doc: header + "spec:\n  kinds: [CronJob]\n", wantErr: `6: spec.kinds[0]: "CronJob" is not one of`},
	"duplicate kind":                 {doc: header + "spec:\n  kinds: [CronWorkflow, CronWorkflow]\n", wantErr: `spec.kinds[1]: "CronWorkflow" is listed twice`},
	"same names":                     {doc: header + "spec:\n  metrics:\n    duration: {name: exit_code}\n", wantErr: `"exit_code" is already the name of spec.metrics.exitCode`, semantic: true},
	"disabled but same":              {doc: header + "spec:\n  metrics:\n    duration: {name: exit_code, enabled: false}\n"},
	"exit code off":                  {doc: header + "spec:\n  metrics:\n    exitCode: {enabled: false}\n", wantErr: "cannot be disabled", semantic: true},
	"label key clash":                {doc: header + "spec:\n  labels:\n    name: namespace\n", wantErr: `label key "namespace" is already used by spec.labels.namespace`, semantic: true},
	"bad selector":                   {doc: header + "spec:\n  selector:\n    labelSelector: \"a==b==c\"\n", wantErr: "spec.selector.labelSelector", semantic: true},
	"duplicate field":                {doc: header + "spec:\n  takeOver: true\n  takeOver: false\n", wantErr: "7: spec.takeOver: duplicate field", semantic: true},
	"two documents":                  {doc: header + "---\n" + header, wantErr: "configuration must be a single document"},
	"not yaml":                       {doc: "a: [", wantErr: "did not find expected node content"},
	"expected duration":              {doc: header + "spec:\n  staleness:\n    expectedDurationSeconds: 600\n"},
	"duration as text":               {doc: header + "spec:\n  staleness:\n    expectedDurationSeconds: 1h\n", wantErr: `7: spec.staleness.expectedDurationSeconds: expected a whole number, got str "1h"`},
	"negative duration":              {doc: header + "spec:\n  staleness:\n    expectedDurationSeconds: -5\n", wantErr: "must not be negative"},
	"run-state options":              {doc: header + "spec:\n  metrics:\n    currentRun: {enabled: true}\n    consecutiveFailures: {enabled: true}\n  runTime:\n    factor: 2.5\n  consecutiveFailures:\n    threshold: 2\n"},
	"whole factor":                   {doc: header + "spec:\n  runTime:\n    factor: 4\n"},
	"zero factor":                    {doc: header + "spec:\n  runTime:\n    factor: 0\n", wantErr: "spec.runTime.factor: must be a number above 0"},
	"factor as text":                 {doc: header + "spec:\n  runTime:\n    factor: three\n", wantErr: `7: spec.runTime.factor: expected a number, got str "three"`},
	"zero threshold":                 {doc: header + "spec:\n  consecutiveFailures:\n    threshold: 0\n", wantErr: "spec.consecutiveFailures.threshold: must be at least 1"},
	"float threshold":                {doc: header + "spec:\n  consecutiveFailures:\n    threshold: 1.5\n", wantErr: `7: spec.consecutiveFailures.threshold: expected a whole number, got float "1.5"`},
	"same name as a run-state gauge": {doc: header + "spec:\n  metrics:\n    currentRun: {enabled: true, name: duration}\n", wantErr: `"duration" is already the name of spec.metrics.duration`, semantic: true},
}

func TestParse(t *testing.T) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.doc))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("expected error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
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
	got, err := c.StaticLabels(" team = payments ")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"team": "payments", "tier": "bronze"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	for _, bad := range []string{"owner=x", "team", "team="} {
		if _, err := c.StaticLabels(bad); err == nil {
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
			js, err := sigyaml.YAMLToJSON([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(js)))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := schema.Validate(v)
			wantValid := tc.wantErr == "" || tc.semantic
			if wantValid && schemaErr != nil {
				t.Errorf("schema rejects a config the loader accepts: %v", schemaErr)
			}
			if !wantValid && schemaErr == nil {
				t.Errorf("schema accepts a config the loader rejects (%s)", tc.wantErr)
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
	if _, err := config.Default().StaticLabels("team=a"); err == nil || !strings.Contains(err.Error(), "(none are declared)") {
		t.Errorf("no static labels: got %v, want an error saying none are declared", err)
	}
	c, err := config.Parse([]byte(header + "spec:\n  labels:\n    static: {tier: bronze, team: platform}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StaticLabels("owner=x"); err == nil || !strings.Contains(err.Error(), "(declared: team, tier)") {
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
