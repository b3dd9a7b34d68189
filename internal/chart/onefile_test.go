package chart_test

// One file, read by both sides: a values file of the chart, whose argoMetricsConfig is also the
// injector's configuration (`argo-metrics-gen inject --config <values file>`). For every option
// of the ArgoMetricsConfig, TestOneFileEveryOption changes that option in the file and checks
// that what the injector writes and what the chart renders from the file (the CronWorkflow of the
// Helm-values route, the PrometheusRule, the Datadog check, the DatadogMonitors, the Grafana and
// the Datadog dashboards) all follow: each reads exactly the metric names and label keys the
// injector writes, and the changed option shows where it belongs.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// oneFileBase: every output of the chart on, the run-state metrics on (so every metric exists),
// one CronWorkflow of the Helm-values route.
const oneFileBase = `datadog:
  monitors: {create: always}
  snippets: {configMap: true}
prometheus:
  rules: {create: always}
dashboards:
  grafana: {enabled: true}
  datadog: {create: always}
cronWorkflows:
  helm-route-job:
    namespace: data
    labels: {team: payments, example.com/owner: ada}
    stalenessThresholdSeconds: 7200
    runTimeLimitSeconds: 3600
    spec:
      schedules: ["0 * * * *"]
      workflowSpec:
        entrypoint: main
        templates:
          - name: main
            container: {image: busybox}
`

// oneFileJobs is the stream the injector reads.
const oneFileJobs = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
  namespace: data
  labels: {team: payments, example.com/owner: ada}
spec:
  schedules: ["0 3 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: {image: busybox}
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: legacy
  namespace: sandbox
  labels: {tier: dev}
spec:
  schedules: ["0 4 * * *"]
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: {image: busybox}
    metrics:
      prometheus:
        - name: duration
          help: "their own"
          gauge: {value: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: adhoc
  namespace: data
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: busybox}
`

// outputs is what the injector and the chart made of one values file.
type outputs struct {
	cfg    *config.Config
	rc     helmtpl.Recipe
	stream map[string]map[string]any // injector output by "Kind/name"
	injErr string                    // the injector's error, if it refused the stream
	res    *chart.Result
}

// block returns the metrics the injector (or the chart's Helm-values route) wrote for a resource.
func block(obj map[string]any) []map[string]any {
	var wf any = obj["spec"]
	if obj["kind"] == "CronWorkflow" {
		wf, _ = chart.Path(obj, "spec", "workflowSpec")
	}
	list, _ := chart.Path(wf, "metrics", "prometheus")
	items, _ := list.([]any)
	var out []map[string]any
	for _, m := range items {
		out = append(out, m.(map[string]any))
	}
	return out
}

func labelsOf(m map[string]any) (keys []string, vals map[string]string) {
	vals = map[string]string{}
	for _, l := range m["labels"].([]any) {
		lm := l.(map[string]any)
		keys = append(keys, lm["key"].(string))
		vals[lm["key"].(string)] = lm["value"].(string)
	}
	return keys, vals
}

func gaugeValue(ms []map[string]any, name string) string {
	for _, m := range ms {
		if m["name"] == name {
			v, _ := chart.Path(m, "gauge", "value")
			return fmt.Sprint(v)
		}
	}
	return ""
}

// run writes the values file, injects the stream with --config <values file> and renders the
// chart from the same file.
func (tc oneFileCase) run(t *testing.T) *outputs {
	t.Helper()
	var base map[string]any
	if err := yaml.Unmarshal([]byte(oneFileBase), &base); err != nil {
		t.Fatal(err)
	}
	spec := map[string]any{"metrics": map[string]any{"currentRun": map[string]any{"enabled": true}, "consecutiveFailures": map[string]any{"enabled": true}}}
	spec = mergeValues(spec, tc.spec)
	base["argoMetricsConfig"] = map[string]any{"spec": spec}
	text, err := yaml.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	o := &outputs{stream: map[string]map[string]any{}}
	if o.cfg, err = config.LoadFile(file); err != nil {
		t.Fatal(err)
	}
	o.rc = helmtpl.BuildRecipe(o.cfg)

	var stdout, stderr bytes.Buffer
	code := cli.Run([]string{"inject", "--config", file, "-"}, cli.Env{Stdin: strings.NewReader(oneFileJobs), Stdout: &stdout, Stderr: &stderr})
	if code != cli.ExitOK {
		o.injErr = stderr.String()
	} else {
		dec := yaml.NewDecoder(&stdout)
		for {
			var doc map[string]any
			if dec.Decode(&doc) != nil {
				break
			}
			o.stream[fmt.Sprint(doc["kind"], "/", get(doc, "", "metadata", "name"))] = doc
		}
	}
	vals, err := chart.ValuesFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if o.res, err = chart.Render(chartDir, vals, chart.Options{APIVersions: allAPIs}); err != nil {
		t.Fatal(err)
	}
	return o
}

type oneFileCase struct {
	option string
	spec   map[string]any // merged into the base spec
	check  func(t *testing.T, o *outputs)
}

func TestOneFileEveryOption(t *testing.T) {
	m := func(key string, fields map[string]any) map[string]any {
		return map[string]any{"metrics": map[string]any{key: fields}}
	}
	var cases []oneFileCase
	for _, key := range helmtpl.Keys {
		cases = append(cases,
			oneFileCase{"metrics." + key + ".name", m(key, map[string]any{"name": "renamed_" + strings.ToLower(key)}), func(t *testing.T, o *outputs) {
				if o.rc.Metrics[key] != "renamed_"+strings.ToLower(key) {
					t.Fatalf("recipe %v", o.rc.Metrics)
				}
			}},
			oneFileCase{"metrics." + key + ".help", m(key, map[string]any{"help": "Help of " + key + " from the values file"}), func(t *testing.T, o *outputs) {
				for _, x := range block(o.stream["CronWorkflow/nightly"]) {
					if x["name"] == o.rc.Metrics[key] && x["help"] != "Help of "+key+" from the values file" {
						t.Errorf("injected %s has help %q", x["name"], x["help"])
					}
				}
			}})
	}
	for _, key := range []string{"duration", "lastSuccess", "stalenessThreshold", "currentRun", "runTimeFactor", "runTimeLimit", "consecutiveFailures", "failureThreshold"} {
		cases = append(cases, oneFileCase{"metrics." + key + ".enabled", m(key, map[string]any{"enabled": false}), func(t *testing.T, o *outputs) {
			if _, ok := o.rc.Metrics[key]; ok {
				t.Fatalf("recipe still has %s", key)
			}
		}})
	}
	cases = append(cases,
		oneFileCase{"labels.namespace", map[string]any{"labels": map[string]any{"namespace": "job_namespace"}}, nil},
		oneFileCase{"labels.name", map[string]any{"labels": map[string]any{"name": "job"}}, nil},
		oneFileCase{"labels.static", map[string]any{"labels": map[string]any{"static": map[string]any{"tier": "gold"}}}, func(t *testing.T, o *outputs) {
			if _, v := labelsOf(block(o.stream["CronWorkflow/nightly"])[0]); v["tier"] != "gold" {
				t.Errorf("injected labels %v, want tier=gold", v)
			}
		}},
		oneFileCase{"labels.fromResource", map[string]any{"labels": map[string]any{"fromResource": map[string]any{"team": map[string]any{}, "owner": map[string]any{"label": "example.com/owner", "default": "nobody"}}}}, func(t *testing.T, o *outputs) {
			if _, v := labelsOf(block(o.stream["CronWorkflow/nightly"])[0]); v["team"] != "payments" || v["owner"] != "ada" {
				t.Errorf("injected labels %v, want the resource's team=payments and owner=ada", v)
			}
			for _, cw := range o.res.OfKind("CronWorkflow") {
				if _, v := labelsOf(block(cw.Body)[0]); v["team"] != "payments" || v["owner"] != "ada" {
					t.Errorf("Helm-values route labels %v, want the entry's team=payments and owner=ada", v)
				}
			}
		}},
		oneFileCase{"runTime.factor", map[string]any{"runTime": map[string]any{"factor": 1.5}}, func(t *testing.T, o *outputs) {
			if v := gaugeValue(block(o.stream["CronWorkflow/nightly"]), o.rc.Metrics["runTimeFactor"]); v != "1.5" {
				t.Errorf("injected factor %s", v)
			}
			for _, cw := range o.res.OfKind("CronWorkflow") {
				if v := gaugeValue(block(cw.Body), o.rc.Metrics["runTimeFactor"]); v != "1.5" {
					t.Errorf("Helm-values route factor %s", v)
				}
			}
		}},
		oneFileCase{"consecutiveFailures.threshold", map[string]any{"consecutiveFailures": map[string]any{"threshold": 7}}, func(t *testing.T, o *outputs) {
			if v := gaugeValue(block(o.stream["CronWorkflow/nightly"]), o.rc.Metrics["failureThreshold"]); v != "7" {
				t.Errorf("injected threshold %s", v)
			}
			for _, cw := range o.res.OfKind("CronWorkflow") {
				if v := gaugeValue(block(cw.Body), o.rc.Metrics["failureThreshold"]); v != "7" {
					t.Errorf("Helm-values route threshold %s", v)
				}
			}
		}},
		oneFileCase{"staleness.expectedDurationSeconds", map[string]any{"staleness": map[string]any{"expectedDurationSeconds": 600}}, func(t *testing.T, o *outputs) {
			// A daily job: the gap (86400) plus 600, not the default 3600.
			if v := gaugeValue(block(o.stream["CronWorkflow/nightly"]), o.rc.Metrics["stalenessThreshold"]); v != "87000" {
				t.Errorf("injected staleness threshold %s, want 87000", v)
			}
		}},
		oneFileCase{"kinds", map[string]any{"kinds": []any{"CronWorkflow", "Workflow"}}, func(t *testing.T, o *outputs) {
			if len(block(o.stream["Workflow/adhoc"])) == 0 {
				t.Errorf("the Workflow got no metrics")
			}
		}},
		oneFileCase{"selector.namespaces", map[string]any{"selector": map[string]any{"namespaces": []any{"sandbox"}}, "takeOver": true}, func(t *testing.T, o *outputs) {
			if _, ok := get(o.stream["CronWorkflow/nightly"], nil, "spec", "workflowSpec", "metrics").(map[string]any); ok {
				t.Errorf("a CronWorkflow outside the selected namespaces got metrics")
			}
		}},
		oneFileCase{"selector.labelSelector", map[string]any{"selector": map[string]any{"labelSelector": "tier!=dev"}}, func(t *testing.T, o *outputs) {
			if len(block(o.stream["CronWorkflow/legacy"])) != 1 {
				t.Errorf("a CronWorkflow the selector excludes got metrics")
			}
		}},
		oneFileCase{"takeOver", map[string]any{"takeOver": true}, func(t *testing.T, o *outputs) {
			for _, x := range block(o.stream["CronWorkflow/legacy"]) {
				if x["help"] == "their own" {
					t.Errorf("takeOver did not replace the conflicting metric")
				}
			}
		}},
	)
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[strings.SplitN(tc.option, ".", 2)[0]] = true
		t.Run(tc.option, func(t *testing.T) {
			o := tc.run(t)
			if o.injErr != "" {
				// Without takeOver the legacy job's own duration metric conflicts: the injector
				// refuses the stream; the other cases leave it out of the selection.
				if !strings.Contains(o.injErr, `metric "duration" is already defined`) || o.cfg.Spec.TakeOver || !o.cfg.Selects("sandbox", map[string]string{"tier": "dev"}) || o.rc.Metrics["duration"] != "duration" {
					t.Fatalf("inject: %s", o.injErr)
				}
				tc.spec = mergeValues(tc.spec, map[string]any{"selector": map[string]any{"labelSelector": "tier!=dev"}})
				o = tc.run(t)
				if o.injErr != "" {
					t.Fatalf("inject: %s", o.injErr)
				}
			}
			checkFollows(t, o)
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
	// Every field of the configuration's spec is an option above.
	var spec map[string]any
	b, _ := json.Marshal(config.Default().Spec)
	json.Unmarshal(b, &spec)
	for k := range spec {
		if !covered[k] && k != "metrics" && k != "labels" {
			t.Errorf("spec.%s is not changed by any case", k)
		}
	}
}

// checkFollows: the injector wrote the recipe of the file, and every output of the chart reads
// exactly its metric names and label keys.
func checkFollows(t *testing.T, o *outputs) {
	t.Helper()
	rc := o.rc
	exported := map[string]string{} // argo_workflows_<name> -> key
	datadog := map[string]string{}  // argo_workflows.<name> -> key
	for key, name := range rc.Metrics {
		exported[rc.Prefix+name] = key
		datadog["argo_workflows."+name] = key
	}
	var enabled []string
	for _, key := range helmtpl.Keys {
		if _, ok := rc.Metrics[key]; ok {
			enabled = append(enabled, key)
		}
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := rc.Metrics[k]; !ok {
				return false
			}
		}
		return true
	}
	without := func(drop ...string) []string {
		var out []string
		for _, k := range enabled {
			if !slices.Contains(drop, k) {
				out = append(out, k)
			}
		}
		return out
	}
	// What each output reads, every alert on: running too long needs the current run, the
	// duration and a limit (Datadog: the limit gauge); the staleness alert both of its gauges.
	var noRunState, noDDRunState, noStale []string
	if !has("currentRun", "duration") || !has("runTimeFactor") && !has("runTimeLimit") {
		noRunState = []string{"currentRun", "runTimeFactor", "runTimeLimit"}
	}
	if !has("currentRun", "duration", "runTimeLimit") {
		noDDRunState = []string{"currentRun", "runTimeLimit"}
	}
	if !has("lastSuccess", "stalenessThreshold") {
		noStale = []string{"lastSuccess", "stalenessThreshold"}
	}
	var noStreak []string
	if !has("consecutiveFailures", "failureThreshold") {
		noStreak = []string{"consecutiveFailures", "failureThreshold"}
	}
	var ddNoStale []string
	if !has("lastSuccess") {
		ddNoStale = []string{"stalenessThreshold"}
	}
	keysOf := func(set map[string]bool) []string {
		var out []string
		for k := range set {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	expect := func(what string, got map[string]bool, want []string) {
		t.Helper()
		w := append([]string(nil), want...)
		sort.Strings(w)
		if g := keysOf(got); !slices.Equal(g, w) {
			t.Errorf("%s reads the metrics %v, want %v", what, g, w)
		}
	}
	labelSet := strings.Join(sorted(rc.LabelKeys), ",")

	// The injector: the block of a selected CronWorkflow is the recipe's, names and label keys.
	target := "CronWorkflow/nightly"
	if !o.cfg.Selects("data", map[string]string{"team": "payments", "example.com/owner": "ada"}) {
		target = "CronWorkflow/legacy"
	}
	var injected []string
	for _, x := range block(o.stream[target]) {
		if !slices.Contains(injected, x["name"].(string)) {
			injected = append(injected, x["name"].(string))
		}
		if keys, _ := labelsOf(x); !slices.Equal(keys, rc.LabelKeys) {
			t.Errorf("injected %s has label keys %v, want %v", x["name"], keys, rc.LabelKeys)
		}
	}
	if got := strings.Join(injected, ","); got != rc.ManagedMetrics {
		t.Errorf("the injector wrote %s, want %s", got, rc.ManagedMetrics)
	}

	// The Helm-values route: the chart's CronWorkflow is what the injector writes.
	in := &inject.Injector{Config: o.cfg}
	for _, cw := range o.res.OfKind("CronWorkflow") {
		r, err := in.Stream([]byte(cw.Text))
		if err != nil || r.Changed {
			t.Errorf("inject --check would change the chart's CronWorkflow %s (%v)", cw.Name, err)
		}
	}

	// PrometheusRule: the recording rules read each metric and keep one series per job by the
	// label keys; the alerts read the recorded series.
	rulesRead, recorded := map[string]bool{}, map[string]string{}
	for _, pr := range o.res.OfKind("PrometheusRule") {
		gs, _ := chart.Path(pr.Body, "spec", "groups")
		for _, g := range gs.([]any) {
			for _, r := range g.(map[string]any)["rules"].([]any) {
				rule := r.(map[string]any)
				e, err := parser.ParseExpr(rule["expr"].(string))
				if err != nil {
					t.Fatal(err)
				}
				parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
					switch n := n.(type) {
					case *parser.VectorSelector:
						if key, ok := exported[n.Name]; ok {
							rulesRead[key] = true
							if rec, ok := rule["record"].(string); ok {
								recorded[rec] = key
							}
						} else if strings.HasPrefix(n.Name, "argo_workflows_") && n.Name != "argo_workflows_is_leader" {
							t.Errorf("rule %v reads %s, not a metric of the file", rule["alert"], n.Name)
						}
					case *parser.AggregateExpr:
						if _, ok := rule["record"]; ok && len(n.Grouping) > 0 && strings.Join(sorted(n.Grouping), ",") != labelSet {
							t.Errorf("recording rule %s groups by %v, want %s", rule["record"], n.Grouping, labelSet)
						}
					}
					return nil
				})
			}
		}
	}
	expect("the PrometheusRule", rulesRead, without(append(append(noRunState, noStale...), noStreak...)...))
	// A recording rule over recorded series of one metric only (the carried value, its
	// snapshots, the median) is that metric's too.
	for grew := true; grew; {
		grew = false
		for _, pr := range o.res.OfKind("PrometheusRule") {
			gs, _ := chart.Path(pr.Body, "spec", "groups")
			for _, g := range gs.([]any) {
				for _, r := range g.(map[string]any)["rules"].([]any) {
					rule := r.(map[string]any)
					rec, ok := rule["record"].(string)
					if !ok || recorded[rec] != "" {
						continue
					}
					e, _ := parser.ParseExpr(rule["expr"].(string))
					keys := map[string]bool{}
					parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
						if vs, ok := n.(*parser.VectorSelector); ok && recorded[vs.Name] != "" {
							keys[recorded[vs.Name]] = true
						}
						return nil
					})
					if len(keys) == 1 {
						for k := range keys {
							recorded[rec], grew = k, true
						}
					}
				}
			}
		}
	}

	// The Datadog check collects each metric.
	checkRead := map[string]bool{}
	for _, cm := range o.res.OfKind("ConfigMap") {
		if s, err := chart.Path(cm.Body, "data", "check.json"); err == nil {
			c, err := chart.ParseCheck(s.(string))
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range c.Metrics {
				if key, ok := exported[x.Exported]; ok && x.Name == rc.Metrics[key] {
					checkRead[key] = true
				} else if x.Exported != "argo_workflows_is_leader" {
					t.Errorf("the check collects %s as %s", x.Exported, x.Name)
				}
			}
		}
	}
	expect("the Datadog check", checkRead, enabled)

	// DatadogMonitors read the collected names, grouped by the label keys.
	monitorsRead := map[string]bool{}
	for _, mon := range o.res.OfKind("DatadogMonitor") {
		q := str(t, mon.Body, "spec", "query")
		metrics, groups := ddQueryParts(q)
		for _, x := range metrics {
			if key, ok := datadog[x]; ok {
				monitorsRead[key] = true
			} else if x != "argo_workflows.is_leader" {
				t.Errorf("monitor %s reads %s", mon.Name, x)
			}
		}
		if !strings.Contains(q, "is_leader") {
			for _, g := range groups {
				if strings.Join(sorted(g), ",") != labelSet {
					t.Errorf("monitor %s groups by %v, want %s", mon.Name, g, labelSet)
				}
			}
		}
	}
	expect("the DatadogMonitors", monitorsRead, without(append(append(append(noDDRunState, noStale...), noStreak...), "runTimeFactor")...))

	// The Grafana dashboard reads the recorded series of the metrics, by the label keys.
	grafanaRead := map[string]bool{}
	for _, cm := range o.res.OfKind("ConfigMap") {
		text, ok := get(cm.Body, "", "data", "batch-monitoring-cronworkflows.json").(string)
		if !ok {
			continue
		}
		for _, expr := range regexp.MustCompile(`"(?:expr|query)": "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(text, -1) {
			var q string
			json.Unmarshal([]byte(`"`+expr[1]+`"`), &q)
			q = strings.NewReplacer("$namespace", ".*", "$cronworkflow", ".*").Replace(q)
			if strings.HasPrefix(expr[0], `"query"`) {
				if !strings.HasPrefix(q, "label_values(") {
					continue // the data source variable
				}
				q = strings.TrimSuffix(strings.TrimPrefix(q, "label_values("), ")")
				i := strings.LastIndex(q, ", ")
				if label := q[i+2:]; label != rc.LabelKeys[0] && label != rc.LabelKeys[1] {
					t.Errorf("Grafana variable reads label %s, not a label key of the file", label)
				}
				q = q[:i]
			}
			e, err := parser.ParseExpr(q)
			if err != nil {
				t.Fatalf("%v: %s", err, q)
			}
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					if key, ok := recorded[vs.Name]; ok {
						grafanaRead[key] = true
					} else if _, ok := exported[vs.Name]; ok {
						grafanaRead[exported[vs.Name]] = true
					} else {
						t.Errorf("Grafana reads %s: neither recorded by the rules nor a metric of the file", vs.Name)
					}
					for _, m := range vs.LabelMatchers {
						if m.Name != labels.MetricName && m.Name != rc.LabelKeys[0] && m.Name != rc.LabelKeys[1] {
							t.Errorf("Grafana filters by %s, not a label key of the file", m.Name)
						}
					}
				}
				return nil
			})
		}
	}
	expect("the Grafana dashboard", grafanaRead, without(append(append(append(noRunState, noStale...), noStreak...), "failureThreshold")...))

	// The Datadog dashboard reads the collected names, by the label keys' tags.
	ddRead := map[string]bool{}
	for _, d := range o.res.OfKind("DatadogDashboard") {
		var ws []any
		json.Unmarshal([]byte(str(t, d.Body, "spec", "widgets")), &ws)
		b, _ := json.Marshal(ws)
		for _, q := range regexp.MustCompile(`"query":"([^"]*)"`).FindAllStringSubmatch(string(b), -1) {
			metrics, groups := ddQueryParts(q[1])
			for _, x := range metrics {
				if key, ok := datadog[x]; ok {
					ddRead[key] = true
				} else {
					t.Errorf("the Datadog dashboard reads %s", x)
				}
			}
			for _, g := range groups {
				if strings.Join(sorted(g), ",") != labelSet {
					t.Errorf("the Datadog dashboard groups by %v, want %s", g, labelSet)
				}
			}
		}
		vars, _ := chart.Path(d.Body, "spec", "templateVariables")
		for _, v := range vars.([]any) {
			if p := v.(map[string]any)["prefix"]; p != rc.LabelKeys[0] && p != rc.LabelKeys[1] {
				t.Errorf("Datadog template variable on tag %v, not a label key of the file", p)
			}
		}
	}
	expect("the Datadog dashboard", ddRead, without(append(append(noDDRunState, ddNoStale...), "runTimeFactor", "failureThreshold")...))
}
