package chart_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// The scenarios and what each renders, without any of the optional APIs (Helm's default
// capabilities: what `helm template` sees) and with all of them.
var scenarios = []struct {
	file      string
	none, all map[string]int
}{
	{"01-default-values.yaml",
		map[string]int{"Service": 1},
		map[string]int{"DatadogDashboard": 1, "Service": 1, "DatadogMonitor": 4, "PodMonitor": 1, "PrometheusRule": 1}},
	{"02-argo-helm-values.yaml",
		map[string]int{"ConfigMap": 1},
		map[string]int{"DatadogDashboard": 1, "ConfigMap": 1, "DatadogMonitor": 4, "PodMonitor": 1, "PrometheusRule": 1}},
	{"03-upstream-values.yaml",
		map[string]int{"Service": 1},
		map[string]int{"DatadogDashboard": 1, "Service": 1, "DatadogMonitor": 4, "PodMonitor": 1, "PrometheusRule": 1}},
	{"04-monitors-values.yaml",
		map[string]int{"Service": 1, "DatadogMonitor": 4},
		map[string]int{"DatadogDashboard": 1, "Service": 1, "DatadogMonitor": 4, "PodMonitor": 1, "PrometheusRule": 1}},
	{"05-prometheus-values.yaml",
		map[string]int{"PodMonitor": 1, "PrometheusRule": 1},
		map[string]int{"PodMonitor": 1, "PrometheusRule": 1}},
	{"06-gmp-values.yaml",
		map[string]int{"PodMonitoring": 1, "Rules": 1},
		map[string]int{"PodMonitoring": 1, "Rules": 1}},
	{"07-cronworkflows-values.yaml",
		map[string]int{"Service": 1, "CronWorkflow": 3},
		map[string]int{"DatadogDashboard": 1, "Service": 1, "CronWorkflow": 3, "DatadogMonitor": 4, "PodMonitor": 1, "PrometheusRule": 1}},
	{"08-dashboards-values.yaml",
		map[string]int{"Service": 1, "ConfigMap": 1, "DatadogDashboard": 1},
		map[string]int{"Service": 1, "ConfigMap": 1, "DatadogDashboard": 1, "DatadogMonitor": 4, "PodMonitor": 1, "PrometheusRule": 1}},
	{"09-run-state-team-routing-values.yaml",
		map[string]int{"Service": 1, "CronWorkflow": 1, "DatadogMonitor": 6, "PrometheusRule": 1},
		map[string]int{"DatadogDashboard": 1, "Service": 1, "CronWorkflow": 1, "DatadogMonitor": 6, "PodMonitor": 1, "PrometheusRule": 1}},
	{"10-kube-state-metrics-values.yaml",
		map[string]int{"Service": 1, "ConfigMap": 2, "ClusterRole": 1, "ClusterRoleBinding": 1, "DatadogMonitor": 6, "PrometheusRule": 1},
		map[string]int{"Service": 1, "ConfigMap": 2, "ClusterRole": 1, "ClusterRoleBinding": 1, "DatadogDashboard": 1, "DatadogMonitor": 6, "PodMonitor": 1, "PrometheusRule": 1}},
}

func TestScenariosRender(t *testing.T) {
	for _, sc := range scenarios {
		vals := scenario(t, sc.file)
		for _, apis := range []struct {
			name string
			list []string
			want map[string]int
		}{{"no-optional-APIs", nil, sc.none}, {"all-APIs", allAPIs, sc.all}} {
			t.Run(sc.file+"/"+apis.name, func(t *testing.T) {
				res := render(t, vals, apis.list...)
				if got := res.Kinds(); !reflect.DeepEqual(got, apis.want) {
					t.Fatalf("rendered %v, want %v", got, apis.want)
				}
				s := newSettings(t, vals)
				for _, o := range res.Objects {
					t.Run(o.Kind+"/"+o.Name, func(t *testing.T) { s.check(t, o) })
				}
				s.checkNotes(t, res.Notes)
			})
		}
	}
}

// Every ci/ file is a scenario of the tests above, and the chart README lists it.
func TestScenarioFilesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, chart.READMEFile))
	if err != nil {
		t.Fatal(err)
	}
	var names, listed []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		if !strings.Contains(string(readme), "`"+filepath.Base(f)+"`") {
			t.Errorf("the chart README does not describe %s", filepath.Base(f))
		}
	}
	for _, sc := range scenarios {
		listed = append(listed, sc.file)
	}
	if !reflect.DeepEqual(names, listed) {
		t.Errorf("ci/ holds %v, the tests cover %v", names, listed)
	}
}

func TestScenariosLintStrict(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			if msgs := chart.Lint(chartDir, scenario(t, sc.file), "monitoring"); len(msgs) > 0 {
				t.Errorf("helm lint --strict:\n%s", strings.Join(msgs, "\n"))
			}
		})
	}
}

// The lint test must be able to fail: a broken value is reported.
func TestLintReportsSchemaViolations(t *testing.T) {
	msgs := chart.Lint(chartDir, map[string]any{"datadog": map[string]any{"check": "prometheus"}}, "monitoring")
	if len(msgs) == 0 || !strings.Contains(strings.Join(msgs, "\n"), "check") {
		t.Errorf("lint of datadog.check=prometheus: %q, want a schema error naming check", msgs)
	}
}

// settings are the facts a scenario's objects must agree with, from its values and from the
// injector's recipe of the values' argoMetricsConfig (as argo-metrics-gen --config reads it).
type settings struct {
	vals          map[string]any
	recipe        helmtpl.Recipe
	ctrlNS        string
	releaseNS     string
	secure        bool
	container     string
	selector      map[string]any
	checkName     string
	collectLeader bool
	promNames     map[string]bool // exported metric names (argo_workflows_...)
	ddNames       map[string]bool // Datadog metric names (argo_workflows....)
}

func get(v map[string]any, def any, keys ...string) any {
	var x any = v
	for _, k := range keys {
		m, ok := x.(map[string]any)
		if !ok {
			return def
		}
		if x, ok = m[k]; !ok {
			return def
		}
	}
	return x
}

func newSettings(t *testing.T, vals map[string]any) *settings {
	s := &settings{vals: vals, recipe: helmtpl.BuildRecipe(configOf(t, vals)), releaseNS: "monitoring"}
	s.ctrlNS, _ = get(vals, "", "controller", "namespace").(string)
	if s.ctrlNS == "" {
		s.ctrlNS = s.releaseNS
	}
	s.secure = get(vals, true, "controller", "metrics", "secure").(bool)
	flavour := get(vals, "argo-helm", "controller", "flavour").(string)
	s.container, s.selector = "controller", map[string]any{"app.kubernetes.io/component": "workflow-controller"}
	if flavour == "upstream" {
		s.container, s.selector = "workflow-controller", map[string]any{"app": "workflow-controller"}
	}
	if sel, ok := get(vals, nil, "controller", "podSelector").(map[string]any); ok && len(sel) > 0 {
		s.selector = sel
	}
	s.checkName = get(vals, "argo_workflows", "datadog", "check").(string)
	s.collectLeader = get(vals, true, "datadog", "collectLeaderMetric").(bool)
	s.promNames, s.ddNames = map[string]bool{"argo_workflows_is_leader": true}, map[string]bool{}
	for _, n := range s.recipe.Metrics {
		s.promNames[s.recipe.Prefix+n] = true
		s.ddNames["argo_workflows."+n] = true
	}
	if s.collectLeader {
		s.ddNames["argo_workflows.is_leader"] = true
	}
	for n := range ksmNames(t, vals) {
		s.promNames[n] = true
	}
	return s
}

// configOf is the ArgoMetricsConfig of chart values, read by the injector's loader from a
// values file (argo-metrics-gen --config <values file>).
func configOf(t *testing.T, vals map[string]any) *config.Config {
	t.Helper()
	b, err := yaml.Marshal(map[string]any{"argoMetricsConfig": vals["argoMetricsConfig"]})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (s *settings) check(t *testing.T, o chart.Object) {
	switch o.Kind {
	case "Service":
		s.checkService(t, o)
	case "ConfigMap":
		switch {
		case strings.HasSuffix(o.Name, "-grafana-dashboard"):
			s.checkGrafanaConfigMap(t, o)
		case strings.HasSuffix(o.Name, "-kube-state-metrics"):
			s.checkKSMConfigMap(t, o)
		default:
			s.checkSnippets(t, o)
		}
	case "ClusterRole", "ClusterRoleBinding":
		s.checkKSMRBAC(t, o)
	case "DatadogDashboard":
		validateCRD(t, o)
		s.checkDatadogDashboard(t, o)
	case "DatadogMonitor":
		validateCRD(t, o)
		s.checkMonitor(t, o)
	case "PodMonitor":
		validateCRD(t, o)
		s.checkPodMonitor(t, o)
	case "PrometheusRule":
		validateCRD(t, o)
		s.checkRules(t, o, "prometheus")
	case "PodMonitoring":
		validateCRD(t, o)
		s.checkPodMonitoring(t, o)
	case "Rules":
		validateCRD(t, o)
		s.checkRules(t, o, "gmp")
	case "CronWorkflow":
		// TestHelmRouteMatchesInject compares them with the injector's output.
	default:
		t.Errorf("unexpected kind %s", o.Kind)
	}
}

// checkDatadogCheck asserts the check configuration: endpoint, TLS, tags, our metrics.
func (s *settings) checkDatadogCheck(t *testing.T, text string) {
	t.Helper()
	c, err := chart.ParseCheck(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if c.Name != s.checkName {
		t.Errorf("check %q, want %q", c.Name, s.checkName)
	}
	scheme := map[bool]string{true: "https", false: "http"}[s.secure]
	if got, want := c.Instance["openmetrics_endpoint"], scheme+"://%%host%%:9090/metrics"; got != want {
		t.Errorf("openmetrics_endpoint %v, want %v", got, want)
	}
	if s.secure {
		if c.Instance["tls_verify"] != false || c.Instance["tls_ignore_warning"] != true {
			t.Errorf("TLS controller: want tls_verify false and tls_ignore_warning true, got %v", c.Instance)
		}
	} else if _, ok := c.Instance["tls_verify"]; ok {
		t.Errorf("http controller: tls_verify set: %v", c.Instance)
	}
	if c.Instance["tag_by_endpoint"] != false {
		t.Errorf("tag_by_endpoint %v, want false", c.Instance["tag_by_endpoint"])
	}
	if s.checkName == "openmetrics" {
		if c.Instance["namespace"] != "argo_workflows" || c.Instance["extra_metrics"] != nil {
			t.Errorf("openmetrics check: want namespace argo_workflows and metrics, got %v", c.Instance)
		}
	} else if c.Instance["metrics"] != nil || c.Instance["namespace"] != nil {
		t.Errorf("argo_workflows check must not set metrics (it replaces the defaults) nor namespace: %v", c.Instance)
	}
	if tags, ok := get(s.vals, nil, "datadog", "tags").([]any); ok && !reflect.DeepEqual(c.Instance["tags"], tags) {
		t.Errorf("instance tags %v, want %v", c.Instance["tags"], tags)
	}
	var want []chart.CheckMetric
	for _, key := range helmtpl.Keys {
		n, ok := s.recipe.Metrics[key]
		if !ok {
			continue
		}
		typ := "gauge"
		if key == "lastSuccess" {
			typ = "time_elapsed"
		}
		want = append(want, chart.CheckMetric{Exported: s.recipe.Prefix + n, Name: n, Type: typ})
	}
	if s.collectLeader {
		want = append(want, chart.CheckMetric{Exported: "argo_workflows_is_leader", Name: "is_leader", Type: "gauge"})
	}
	if len(c.Metrics) != len(want) {
		t.Fatalf("check metrics %v, want %v", c.Metrics, want)
	}
	for i, m := range c.Metrics {
		if m.Exported != want[i].Exported || m.Name != want[i].Name || m.Type != want[i].Type {
			t.Errorf("check metric %d: %+v, want %+v", i, m, want[i])
		}
	}
}

func (s *settings) checkService(t *testing.T, o chart.Object) {
	if o.Namespace != s.ctrlNS {
		t.Errorf("Service in %q, want the controller namespace %q", o.Namespace, s.ctrlNS)
	}
	if name := get(s.vals, "", "datadog", "endpointsService", "name").(string); name != "" && o.Name != name {
		t.Errorf("Service name %q, want %q", o.Name, name)
	}
	sel, _ := chart.Path(o.Body, "spec", "selector")
	if !reflect.DeepEqual(sel, s.selector) {
		t.Errorf("selector %v, want %v", sel, s.selector)
	}
	if ip := str(t, o.Body, "spec", "clusterIP"); ip != "None" {
		t.Errorf("clusterIP %q, want a headless Service", ip)
	}
	if p, _ := chart.Path(o.Body, "spec", "ports", 0, "port"); p != 9090 {
		t.Errorf("port %v", p)
	}
	s.checkDatadogCheck(t, str(t, o.Body, "metadata", "annotations", "ad.datadoghq.com/endpoints.checks"))
}

func (s *settings) checkSnippets(t *testing.T, o chart.Object) {
	check := str(t, o.Body, "data", "check.json")
	s.checkDatadogCheck(t, check)
	key := "ad.datadoghq.com/" + s.container + ".checks"
	var values struct {
		Controller struct {
			PodAnnotations map[string]string `yaml:"podAnnotations"`
		} `yaml:"controller"`
	}
	if err := yaml.Unmarshal([]byte(str(t, o.Body, "data", "argo-helm-values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	if got := values.Controller.PodAnnotations; len(got) != 1 || got[key] != check {
		t.Errorf("argo-helm values fragment: %v, want only %s = the check", got, key)
	}
	var ann map[string]string
	if err := yaml.Unmarshal([]byte(str(t, o.Body, "data", "pod-annotations.yaml")), &ann); err != nil {
		t.Fatal(err)
	}
	if len(ann) != 1 || ann[key] != check {
		t.Errorf("pod annotation snippet %v, want only %s", ann, key)
	}
}

var comparison = regexp.MustCompile(`(>=|<=|>|<)\s*(-?[0-9.]+)$`)

func (s *settings) checkMonitor(t *testing.T, o chart.Object) {
	v := func(def any, keys ...string) any {
		return get(s.vals, def, append([]string{"datadog", "monitors"}, keys...)...)
	}
	if ns := v("", "namespace").(string); ns != "" && o.Namespace != ns || ns == "" && o.Namespace != s.releaseNS {
		t.Errorf("monitor in namespace %q", o.Namespace)
	}
	spec := o.Body["spec"].(map[string]any)
	q := spec["query"].(string)
	if spec["type"] != "query alert" {
		t.Errorf("type %v", spec["type"])
	}
	if strings.Contains(q, "kubernetes_state_customresource.") {
		s.checkStateMonitor(t, o)
		return
	}
	metrics, groups := ddQueryParts(q)
	if len(metrics) == 0 {
		t.Fatalf("query %q names no argo_workflows metric", q)
	}
	for _, m := range metrics {
		if !s.ddNames[m] {
			t.Errorf("query %q: metric %s is not collected by the check (collected: %v)", q, m, s.ddNames)
		}
	}
	var extra []string
	for _, g := range v([]any{}, "extraGroupBy").([]any) {
		extra = append(extra, g.(string))
	}
	scope := v("*", "scope").(string)
	if !strings.Contains(q, "{"+scope+"}") {
		t.Errorf("query %q does not filter by scope %q", q, scope)
	}
	msg := spec["message"].(string)
	jobMonitor := !strings.Contains(q, "is_leader")
	wantGroups := extra
	if jobMonitor {
		wantGroups = append(append([]string(nil), s.recipe.LabelKeys...), extra...)
		for _, k := range s.recipe.LabelKeys {
			if !strings.Contains(msg, "{{"+k+".name}}") || !strings.Contains(spec["name"].(string), "{{") {
				t.Errorf("message or name lacks the template variable of tag %s:\n%s", k, msg)
			}
		}
	}
	if len(groups) == 0 && len(wantGroups) > 0 {
		t.Errorf("query %q is not grouped by %v", q, wantGroups)
	}
	for _, g := range groups {
		if !reflect.DeepEqual(g, wantGroups) {
			t.Errorf("query %q groups by %v, want %v (the metrics' tags)", q, g, wantGroups)
		}
	}
	m := comparison.FindStringSubmatch(q)
	if m == nil {
		t.Fatalf("query %q has no threshold", q)
	}
	if crit := str(t, o.Body, "spec", "options", "thresholds", "critical"); crit != m[2] {
		t.Errorf("critical threshold %q differs from the query's %q", crit, m[2])
	}
	for _, n := range v([]any{}, "notify").([]any) {
		if !strings.Contains(msg, n.(string)) {
			t.Errorf("message lacks notification handle %v", n)
		}
	}
	if !strings.Contains(msg, "**Runbook**") || !strings.Contains(msg, "{{#is_alert}}") {
		t.Errorf("message lacks the runbook or the alert section:\n%s", msg)
	}
	if jobMonitor && !strings.Contains(q, "duration") && !strings.Contains(msg, "argo submit -n {{namespace.name}} --from cronwf/{{cronworkflow.name}}") {
		t.Errorf("message lacks how to re-run the job:\n%s", msg)
	}
	if url := get(s.vals, "", "runbook", "argoServerURL").(string); url != "" && jobMonitor &&
		!strings.Contains(msg, url+"/cron-workflows/{{namespace.name}}/{{cronworkflow.name}}") {
		t.Errorf("message lacks the Argo UI link:\n%s", msg)
	}
	if url := get(s.vals, "", "runbook", "url").(string); url != "" && !strings.Contains(msg, url) {
		t.Errorf("message lacks the runbook URL")
	}
	tags, _ := chart.Path(o.Body, "spec", "tags")
	for _, tag := range v([]any{"managed-by:batch-monitoring"}, "tags").([]any) {
		if !containsAny(tags, tag) {
			t.Errorf("tags %v lack %v", tags, tag)
		}
	}
	renotify, _ := chart.Path(o.Body, "spec", "options", "renotifyInterval")
	if want := v(240, "renotifyInterval"); fmt.Sprint(renotify) != fmt.Sprint(want) {
		t.Errorf("renotifyInterval %v, want %v", renotify, want)
	}
	s.checkMissingData(t, o, jobMonitor)
	if _, err := chart.Path(o.Body, "spec", "options", "timeoutH"); err == nil {
		t.Errorf("timeoutH set: a failed job's alert must stay open until the next success")
	}
}

func containsAny(list any, v any) bool {
	l, _ := list.([]any)
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func (s *settings) checkScrape(t *testing.T, ep any, tlsKey string) {
	t.Helper()
	scheme := str(t, ep, "scheme")
	if want := map[bool]string{true: "https", false: "http"}[s.secure]; scheme != want {
		t.Errorf("scheme %s, want %s", scheme, want)
	}
	skip, err := chart.Path(ep, tlsKey, "insecureSkipVerify")
	if s.secure && skip != true || !s.secure && err == nil {
		t.Errorf("%s.insecureSkipVerify %v (secure=%v)", tlsKey, skip, s.secure)
	}
	if p := str(t, ep, "port"); p != "metrics" {
		t.Errorf("port %q, want the container port name metrics", p)
	}
}

func (s *settings) checkPodMonitor(t *testing.T, o chart.Object) {
	ep, _ := chart.Path(o.Body, "spec", "podMetricsEndpoints", 0)
	s.checkScrape(t, ep, "tlsConfig")
	if h, _ := chart.Path(ep, "honorLabels"); h != true {
		t.Errorf("honorLabels %v: the jobs' namespace label would become exported_namespace", h)
	}
	if ns, _ := chart.Path(o.Body, "spec", "namespaceSelector", "matchNames"); !reflect.DeepEqual(ns, []any{s.ctrlNS}) {
		t.Errorf("namespaceSelector %v, want %s", ns, s.ctrlNS)
	}
	if sel, _ := chart.Path(o.Body, "spec", "selector", "matchLabels"); !reflect.DeepEqual(sel, s.selector) {
		t.Errorf("selector %v, want %v", sel, s.selector)
	}
}

func (s *settings) checkPodMonitoring(t *testing.T, o chart.Object) {
	if o.Namespace != s.ctrlNS {
		t.Errorf("PodMonitoring in %s, want the controller namespace %s", o.Namespace, s.ctrlNS)
	}
	ep, _ := chart.Path(o.Body, "spec", "endpoints", 0)
	s.checkScrape(t, ep, "tls")
	if sel, _ := chart.Path(o.Body, "spec", "selector", "matchLabels"); !reflect.DeepEqual(sel, s.selector) {
		t.Errorf("selector %v, want %v", sel, s.selector)
	}
}

// checkRules parses every expression of every group with Prometheus' own parser and checks the
// metric names and grouping labels against the recipe; each group names its interval.
func (s *settings) checkRules(t *testing.T, o chart.Object, backend string) {
	groups, err := chart.Path(o.Body, "spec", "groups")
	if err != nil {
		t.Fatal(err)
	}
	var rules []any
	for _, g := range groups.([]any) {
		name, _ := chart.Path(g, "name")
		if iv, _ := chart.Path(g, "interval"); iv == nil {
			t.Errorf("group %v: no interval (the Prometheus Operator's default is 30s)", name)
		}
		rs, _ := chart.Path(g, "rules")
		rules = append(rules, rs.([]any)...)
	}
	wantKeys := append([]string(nil), s.recipe.LabelKeys...)
	if backend == "gmp" && o.Namespace != s.ctrlNS {
		t.Errorf("GMP Rules in %s: they only see series of their own namespace, the controller's (%s)", o.Namespace, s.ctrlNS)
	}
	if backend == "gmp" || !get(s.vals, true, "prometheus", "podMonitor", "honorLabels").(bool) {
		for i, k := range wantKeys {
			if k == "namespace" {
				wantKeys[i] = "exported_namespace" // labels not honored
			}
		}
	}
	alerts := map[string]bool{}
	recorded := map[string]bool{}
	for _, r := range rules {
		rule := r.(map[string]any)
		if rec, ok := rule["record"].(string); ok {
			// level:metric:operation, as the monitoring mixins name them; read by the alerts below.
			if _, err := parser.ParseExpr(rec); err != nil || !strings.HasPrefix(rec, "cronworkflow:") {
				t.Errorf("recording rule %q: not a level:metric:operation name", rec)
			}
			if len(rule) != 2 {
				t.Errorf("recording rule %s: %v, want only record and expr", rec, rule)
			}
			recorded[rec] = true
		}
	}
	for _, r := range rules {
		rule := r.(map[string]any)
		name, _ := rule["alert"].(string)
		if name == "" {
			name, _ = rule["record"].(string)
		}
		alerts[name] = true
		expr, err := parser.ParseExpr(rule["expr"].(string))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			switch n := n.(type) {
			case *parser.VectorSelector:
				if !s.promNames[n.Name] && !recorded[n.Name] {
					t.Errorf("%s: metric %s is not exported (known: %v)", name, n.Name, s.promNames)
				}
				for _, m := range n.LabelMatchers {
					if m.Name == "namespace" && backend == "gmp" {
						t.Errorf("%s: GMP scopes rules by namespace itself; a namespace matcher conflicts", name)
					}
				}
			case *parser.AggregateExpr:
				// kube-state-metrics' series carry the metrics' labels too (a condition also its
				// type and message).
				condition := append(append([]string(nil), wantKeys...), "type", "message")
				if len(n.Grouping) > 0 && !reflect.DeepEqual(n.Grouping, wantKeys) && !reflect.DeepEqual(n.Grouping, condition) {
					t.Errorf("%s: groups by %v, want the metrics' labels %v", name, n.Grouping, wantKeys)
				}
			}
			return nil
		})
		if rule["record"] != nil {
			continue
		}
		labels, _ := rule["labels"].(map[string]any)
		if labels["severity"] == nil {
			t.Errorf("%s: no severity label", name)
		}
		if _, ok := labels["namespace"]; ok && backend == "gmp" {
			t.Errorf("%s: GMP refuses rules that set the namespace label", name)
		}
		desc := str(t, rule, "annotations", "description")
		if name != "ArgoWorkflowsControllerNotExporting" {
			for _, k := range wantKeys[:2] {
				if !strings.Contains(desc, "{{ $labels."+k+" }}") {
					t.Errorf("%s: description does not name the job by label %s:\n%s", name, k, desc)
				}
			}
		}
		if !strings.Contains(desc, "**Runbook**") {
			t.Errorf("%s: no runbook", name)
		}
	}
	for _, a := range []string{"ArgoCronWorkflowLastRunFailed", "ArgoCronWorkflowNotSucceededWithinThreshold", "ArgoCronWorkflowSlowRun", "ArgoWorkflowsControllerNotExporting"} {
		if !alerts[a] {
			t.Errorf("alert %s missing (have %v)", a, alerts)
		}
	}
}

func (s *settings) checkNotes(t *testing.T, notes string) {
	if !get(s.vals, true, "datadog", "enabled").(bool) {
		if strings.Contains(notes, "DATADOG") {
			t.Errorf("NOTES mention Datadog although it is disabled")
		}
		return
	}
	// The argo-helm fragment printed by NOTES carries the same check.
	key := "ad.datadoghq.com/" + s.container + ".checks: '"
	i := strings.Index(notes, key)
	if i < 0 {
		t.Fatalf("NOTES lack the pod annotation %s:\n%s", key, notes)
	}
	line := notes[i:]
	line = line[:strings.Index(line, "\n")]
	var ann map[string]string
	if err := yaml.Unmarshal([]byte(line), &ann); err != nil {
		t.Fatal(err)
	}
	for _, v := range ann {
		s.checkDatadogCheck(t, v)
	}
}

// ksmNames returns the metric names kube-state-metrics exports with the chart's configuration
// for vals: metricNamePrefix_name of every metric of its config.yaml.
func ksmNames(t *testing.T, vals map[string]any) map[string]bool {
	t.Helper()
	res := render(t, mergeValues(vals, map[string]any{"kubeStateMetrics": map[string]any{"configMap": map[string]any{"create": true}}}))
	var cfg struct {
		Spec struct {
			Resources []struct {
				MetricNamePrefix string `yaml:"metricNamePrefix"`
				Metrics          []struct {
					Name string `yaml:"name"`
				} `yaml:"metrics"`
			} `yaml:"resources"`
		} `yaml:"spec"`
	}
	out := map[string]bool{}
	for _, o := range res.OfKind("ConfigMap") {
		if !strings.HasSuffix(o.Name, "-kube-state-metrics") {
			continue
		}
		if err := yaml.Unmarshal([]byte(str(t, o.Body, "data", "config.yaml")), &cfg); err != nil {
			t.Fatal(err)
		}
		for _, r := range cfg.Spec.Resources {
			for _, m := range r.Metrics {
				out[r.MetricNamePrefix+"_"+m.Name] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no kube-state-metrics configuration rendered")
	}
	return out
}

// checkKSMConfigMap: the kube-state-metrics configuration is a CustomResourceStateMetrics of
// CronWorkflows labelled with the recipe's keys; the kube-prometheus-stack values carry the same
// configuration and the RBAC rules of rbac.yaml.
func (s *settings) checkKSMConfigMap(t *testing.T, o chart.Object) {
	if ns := get(s.vals, "", "kubeStateMetrics", "configMap", "namespace").(string); ns != "" && o.Namespace != ns {
		t.Errorf("ConfigMap in %s, want %s", o.Namespace, ns)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(str(t, o.Body, "data", "config.yaml")), &cfg); err != nil {
		t.Fatal(err)
	}
	res, _ := chart.Path(cfg, "spec", "resources", 0)
	if k, _ := chart.Path(res, "groupVersionKind", "kind"); cfg["kind"] != "CustomResourceStateMetrics" || k != "CronWorkflow" {
		t.Errorf("config.yaml is not a CustomResourceStateMetrics of CronWorkflows: %v", cfg)
	}
	labels, _ := chart.Path(res, "labelsFromPath")
	want := map[string]any{s.recipe.NamespaceLabel: []any{"metadata", "namespace"}, s.recipe.NameLabel: []any{"metadata", "name"}}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("labelsFromPath %v, want %v", labels, want)
	}
	var kps map[string]any
	if err := yaml.Unmarshal([]byte(str(t, o.Body, "data", "kube-prometheus-stack-values.yaml")), &kps); err != nil {
		t.Fatal(err)
	}
	if c, _ := chart.Path(kps, "kube-state-metrics", "customResourceState", "config"); !reflect.DeepEqual(c, cfg) {
		t.Errorf("kube-prometheus-stack values carry another configuration: %v", c)
	}
	var rules []any
	if err := yaml.Unmarshal([]byte(str(t, o.Body, "data", "rbac.yaml")), &rules); err != nil {
		t.Fatal(err)
	}
	if r, _ := chart.Path(kps, "kube-state-metrics", "rbac", "extraRules"); !reflect.DeepEqual(r, rules) {
		t.Errorf("kube-prometheus-stack RBAC rules %v, want rbac.yaml's %v", r, rules)
	}
	checkKSMRules(t, rules)
}

// checkKSMRules: read-only access to CronWorkflows and to the CRDs kube-state-metrics
// discovers them through, nothing else.
func checkKSMRules(t *testing.T, rules any) {
	want := []any{
		map[string]any{"apiGroups": []any{"argoproj.io"}, "resources": []any{"cronworkflows"}, "verbs": []any{"list", "watch"}},
		map[string]any{"apiGroups": []any{"apiextensions.k8s.io"}, "resources": []any{"customresourcedefinitions"}, "verbs": []any{"list", "watch"}},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("RBAC rules %v, want list/watch on cronworkflows and customresourcedefinitions only", rules)
	}
}

func (s *settings) checkKSMRBAC(t *testing.T, o chart.Object) {
	if o.Kind == "ClusterRole" {
		checkKSMRules(t, o.Body["rules"])
		return
	}
	sa := map[string]any{"kind": "ServiceAccount",
		"name":      get(s.vals, "kube-state-metrics", "kubeStateMetrics", "rbac", "serviceAccount", "name"),
		"namespace": get(s.vals, "", "kubeStateMetrics", "rbac", "serviceAccount", "namespace")}
	if sa["namespace"] == "" {
		sa["namespace"] = s.releaseNS
	}
	if subj, _ := chart.Path(o.Body, "subjects"); !reflect.DeepEqual(subj, []any{sa}) {
		t.Errorf("subjects %v, want %v", subj, sa)
	}
	if ref, _ := chart.Path(o.Body, "roleRef", "name"); ref != o.Name {
		t.Errorf("roleRef %v, want the chart's ClusterRole %s", ref, o.Name)
	}
}

// checkStateMonitor: a monitor on kubernetes_state_core's custom resource metrics reads a metric
// of the chart's Datadog list, groups by kube_namespace and the name label (the Agent's tags),
// names the job in its message and resolves on missing data.
func (s *settings) checkStateMonitor(t *testing.T, o chart.Object) {
	spec := o.Body["spec"].(map[string]any)
	q, msg := spec["query"].(string), spec["message"].(string)
	res := render(t, mergeValues(s.vals, map[string]any{"datadog": map[string]any{"snippets": map[string]any{"configMap": true}}}))
	var names []string
	for _, cm := range res.OfKind("ConfigMap") {
		if !strings.HasSuffix(cm.Name, "-datadog-snippets") {
			continue
		}
		var vals struct {
			Datadog struct {
				KubeStateMetricsCore struct {
					CollectCrMetrics []struct {
						Metrics []struct{ Name string } `yaml:"metrics"`
					} `yaml:"collectCrMetrics"`
				} `yaml:"kubeStateMetricsCore"`
			} `yaml:"datadog"`
		}
		if err := yaml.Unmarshal([]byte(str(t, cm.Body, "data", "kube-state-metrics-core-values.yaml")), &vals); err != nil {
			t.Fatal(err)
		}
		for _, r := range vals.Datadog.KubeStateMetricsCore.CollectCrMetrics {
			for _, m := range r.Metrics {
				names = append(names, "kubernetes_state_customresource."+m.Name)
			}
		}
	}
	found := false
	for _, n := range names {
		found = found || strings.Contains(q, n+"{")
	}
	if !found {
		t.Errorf("query %q reads none of the collected custom resource metrics %v", q, names)
	}
	var extra []string
	for _, g := range get(s.vals, []any{}, "datadog", "monitors", "extraGroupBy").([]any) {
		extra = append(extra, g.(string))
	}
	by := strings.Join(append([]string{"kube_namespace", s.recipe.NameLabel}, extra...), ",")
	if !strings.Contains(q, "by {"+by+"}") && !strings.Contains(q, "by {"+by+",type}") {
		t.Errorf("query %q does not group by %s", q, by)
	}
	if !strings.Contains(msg, "{{kube_namespace.name}}") || !strings.Contains(msg, "{{"+s.recipe.NameLabel+".name}}") || !strings.Contains(msg, "**Runbook**") {
		t.Errorf("message lacks the job's tags or the runbook:\n%s", msg)
	}
	if v, _ := chart.Path(o.Body, "spec", "options", "onMissingData"); v != "resolve" {
		t.Errorf("onMissingData %v: the series stop when the state clears or the job goes", v)
	}
}
