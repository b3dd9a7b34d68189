// Package helmtpl holds the Helm templates of the metric block: the named template
// `batch-monitoring.workflowMetrics` emits, for a CronWorkflow and an ArgoMetricsConfig, exactly
// the block `argo-metrics-gen inject` writes, and `batch-monitoring.config` completes and checks
// the configuration as the injector's loader does. The templates read the configuration at
// render time (the chart's values.argoMetricsConfig), so a packaged chart follows any
// configuration without regeneration; internal/chart's tests render them against pkg/recipe
// for every option.
//
// The templates are the files under templates/; `make chart-template` copies them into
// charts/batch-monitoring (ChartFiles) and `argo-metrics-gen helm-template [--config FILE]`
// writes them as one file for a chart of your own, with that configuration as its default.
package helmtpl

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// Prefix is what Argo's controller puts before every custom metric name.
const Prefix = "argo_workflows_"

// Chart files written by ChartFiles, relative to the repository root.
const (
	ChartConfigFile  = "charts/batch-monitoring/templates/_config.tpl"
	ChartMetricsFile = "charts/batch-monitoring/templates/_workflow-metrics.tpl"
)

//go:embed templates/config.tpl templates/metrics.tpl
var sources embed.FS

// Recipe is what the chart's Datadog check, monitors, rules and dashboards need to know about
// the injected metrics: the JSON of the template `batch-monitoring.recipe` (BuildRecipe is the
// same in Go, for the injector's side).
type Recipe struct {
	// Prefix is Argo's metric name prefix.
	Prefix string `json:"prefix"`
	// Metrics maps each enabled metric's config key (exitCode, duration, lastSuccess,
	// stalenessThreshold, and the run-state ones: currentRun, runTimeFactor, runTimeLimit,
	// consecutiveFailures, failureThreshold) to its name without the prefix.
	Metrics map[string]string `json:"metrics"`
	// Help maps the same keys to the help strings.
	Help map[string]string `json:"help"`
	// LabelKeys are the label keys of every metric, in the order the recipe writes them.
	LabelKeys []string `json:"labelKeys"`
	// NamespaceLabel and NameLabel are the keys of the {{workflow.namespace}} and job name labels.
	NamespaceLabel string `json:"namespaceLabel"`
	NameLabel      string `json:"nameLabel"`
	// StaticLabels are the declared static labels with their default values.
	StaticLabels map[string]string `json:"staticLabels"`
	// ResourceLabels are the labels copied from each resource (spec.labels.fromResource).
	ResourceLabels map[string]config.ResourceLabel `json:"resourceLabels"`
	// ManagedMetrics is the value inject writes to the managed-metrics annotation.
	ManagedMetrics string `json:"managedMetrics"`
}

// Keys are the recipe's metric keys in the order the block writes them.
var Keys = []string{"exitCode", "duration", "lastSuccess", "stalenessThreshold", "currentRun", "runTimeFactor", "runTimeLimit", "consecutiveFailures", "failureThreshold"}

// Metric returns the configuration of the metric with a recipe key.
func Metric(cfg *config.Config, key string) config.Metric {
	m := cfg.Spec.Metrics
	return map[string]config.Metric{"exitCode": m.ExitCode, "duration": m.Duration, "lastSuccess": m.LastSuccess,
		"stalenessThreshold": m.StalenessThreshold, "currentRun": m.CurrentRun, "runTimeFactor": m.RunTimeFactor,
		"runTimeLimit": m.RunTimeLimit, "consecutiveFailures": m.ConsecutiveFailures, "failureThreshold": m.FailureThreshold}[key]
}

// BuildRecipe returns the recipe summary for cfg.
func BuildRecipe(cfg *config.Config) Recipe {
	r := Recipe{
		Prefix:         Prefix,
		Metrics:        map[string]string{},
		Help:           map[string]string{},
		NamespaceLabel: cfg.Spec.Labels.Namespace,
		NameLabel:      cfg.Spec.Labels.Name,
		StaticLabels:   map[string]string{},
		ResourceLabels: map[string]config.ResourceLabel{},
	}
	for _, key := range Keys {
		if m := Metric(cfg, key); *m.Enabled {
			r.Metrics[key] = m.Name
			r.Help[key] = m.Help
		}
	}
	var extra []string
	for k, v := range cfg.Spec.Labels.Static {
		r.StaticLabels[k] = v
		extra = append(extra, k)
	}
	for k, v := range cfg.Spec.Labels.FromResource {
		r.ResourceLabels[k] = v
		extra = append(extra, k)
	}
	sort.Strings(extra)
	r.LabelKeys = append([]string{cfg.Spec.Labels.Namespace, cfg.Spec.Labels.Name}, extra...)
	r.ManagedMetrics = strings.Join(recipe.Names(recipe.BuildJob(cfg, recipe.Job{Name: "x", StalenessThresholdSeconds: 1, RunTimeLimitSeconds: 1})), ",")
	return r
}

// ChartFiles returns the chart's copies of the templates (path relative to the repository root
// -> content): the configuration with the injector's defaults, and the block.
func ChartFiles() (map[string][]byte, error) {
	cfgTpl, err := configFile(nil)
	if err != nil {
		return nil, err
	}
	metrics, err := sources.ReadFile("templates/metrics.tpl")
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		ChartConfigFile:  cfgTpl,
		ChartMetricsFile: append([]byte(header("internal/helmtpl/templates/metrics.tpl", "")), metrics...),
	}, nil
}

// Render returns the templates as one file for a chart of your own, whose calls without a
// "config" argument use cfg (`argo-metrics-gen helm-template --config FILE`).
func Render(cfg *config.Config) ([]byte, error) {
	out, err := configFile(cfg)
	if err != nil {
		return nil, err
	}
	metrics, err := sources.ReadFile("templates/metrics.tpl")
	if err != nil {
		return nil, err
	}
	return append(append(out, '\n'), metrics...), nil
}

// configFile is templates/config.tpl after the definitions generated from pkg/config: the
// defaults, the label-key pattern and the default configuration (cfg; nil: the defaults).
func configFile(cfg *config.Config) ([]byte, error) {
	src, err := sources.ReadFile("templates/config.tpl")
	if err != nil {
		return nil, err
	}
	d := config.Default()
	defaults := map[string]any{
		"metrics": map[string]any{}, "labels": map[string]string{"namespace": d.Spec.Labels.Namespace, "name": d.Spec.Labels.Name},
		"runTime": map[string]any{"factor": *d.Spec.RunTime.Factor}, "consecutiveFailures": map[string]any{"threshold": *d.Spec.ConsecutiveFailures.Threshold},
		"staleness": map[string]any{"expectedDurationSeconds": *d.Spec.Staleness.ExpectedDurationSeconds}, "resourceLabelDefault": config.DefaultResourceLabelValue,
	}
	for _, key := range Keys {
		m := Metric(d, key)
		defaults["metrics"].(map[string]any)[key] = map[string]string{"name": m.Name, "help": m.Help}
	}
	defaultsJSON, err := marshal(defaults)
	if err != nil {
		return nil, err
	}
	using := "the injector's defaults"
	defaultConfig := `{"apiVersion":"` + config.APIVersion + `","kind":"` + config.Kind + `"}`
	if cfg != nil {
		using = "the configuration it was generated with"
		b, err := marshal(map[string]any{"apiVersion": cfg.APIVersion, "kind": cfg.Kind, "spec": cfg.Spec})
		if err != nil {
			return nil, err
		}
		defaultConfig = string(b)
	}
	pattern, err := marshal(config.ResourceLabelKeyPattern)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(header("internal/helmtpl/templates/config.tpl and pkg/config", ""))
	b.WriteString("{{- /* batch-monitoring.configDefaults: pkg/config's defaults, as JSON. */ -}}\n")
	fmt.Fprintf(&b, "{{- define \"batch-monitoring.configDefaults\" -}}\n%s\n{{- end -}}\n\n", escapeBraces(defaultsJSON))
	fmt.Fprintf(&b, "{{- /* batch-monitoring.defaultConfig: the ArgoMetricsConfig of a call without one (%s). */ -}}\n", using)
	fmt.Fprintf(&b, "{{- define \"batch-monitoring.defaultConfig\" -}}\n%s\n{{- end -}}\n\n", escapeBraces(defaultConfig))
	b.WriteString("{{- /* batch-monitoring.resourceLabelKeyPattern: a Kubernetes label key, or empty (config.ResourceLabelKeyPattern). */ -}}\n")
	fmt.Fprintf(&b, "{{- define \"batch-monitoring.resourceLabelKeyPattern\" -}}\n{{ %s }}\n{{- end -}}\n\n", pattern)
	b.Write(src)
	return []byte(b.String()), nil
}

func header(source, extra string) string {
	return "{{- /*\nCode generated by `make chart-template` from " + source + "; DO NOT EDIT.\n" +
		"Named templates are global: a chart that depends on batch-monitoring can call them, and\n" +
		"`argo-metrics-gen helm-template [--config FILE]` writes them as one file for a chart of your own.\n" +
		"  batch-monitoring.workflowMetrics            the `metrics:` block inject adds under spec.workflowSpec\n" +
		"  batch-monitoring.workflowMetricsItems       only the entries of metrics.prometheus (to follow your own)\n" +
		"  batch-monitoring.workflowMetricsAnnotations the CronWorkflow annotations inject reads and writes\n" +
		"  batch-monitoring.recipe                     metric names and label keys of .Values.argoMetricsConfig, as JSON\n" +
		"Argument of the first three: (dict \"name\" <CronWorkflow name> [\"config\" <ArgoMetricsConfig>]\n" +
		"  [\"resourceLabels\" <its metadata.labels>] [\"labels\" (dict <declared label> <value>)]\n" +
		"  \"stalenessThresholdSeconds\" <seconds> [\"runTimeLimitSeconds\" <seconds>] [\"runTimeFactor\" <number>]\n" +
		"  [\"failureThreshold\" <runs>]): see charts/batch-monitoring/README.md." + extra + "\n*/ -}}\n\n"
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

var argoExpr = regexp.MustCompile(`\{\{[^{}` + "`" + `]*\}\}`)

// escapeBraces makes text safe as literal Helm template text: each Argo expression such as
// {{workflow.namespace}} becomes {{`{{workflow.namespace}}`}}, which Helm prints verbatim, and
// any other "{{" becomes {{ "{{" }}.
func escapeBraces(text string) string {
	var b strings.Builder
	for {
		loc := argoExpr.FindStringIndex(text)
		stray := strings.Index(text, "{{")
		switch {
		case stray < 0:
			b.WriteString(text)
			return b.String()
		case loc != nil && loc[0] == stray:
			b.WriteString(text[:loc[0]])
			b.WriteString("{{`" + text[loc[0]:loc[1]] + "`}}")
			text = text[loc[1]:]
		default:
			b.WriteString(text[:stray])
			b.WriteString(`{{ "{{" }}`)
			text = text[stray+2:]
		}
	}
}
