// Package helmtpl generates the batch-monitoring chart's Helm template for the metric block:
// the named template `batch-monitoring.workflowMetrics` emits, for a CronWorkflow name, exactly
// the block `argo-metrics-gen inject` writes. The block is rendered from pkg/recipe with
// sentinel values that are then replaced by Helm expressions, so the chart can never drift
// from the injector: regenerate with `argo-metrics-gen helm-template [--config FILE]`.
package helmtpl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// Prefix is what Argo's controller puts before every custom metric name.
const Prefix = "argo_workflows_"

// ChartFile is where the generated template lives, relative to the repository root.
const ChartFile = "charts/batch-monitoring/templates/_workflow-metrics.tpl"

// Sentinels stand for the per-job values while the recipe is rendered. They are plain YAML
// scalars that cannot occur in a valid configuration's names or help by accident; Render
// refuses a configuration that contains them.
const (
	sentinelName      = "BMGENSENTINELNAME"
	sentinelLabel     = "BMGENSENTINELLABEL"
	sentinelThreshold = int64(918273645546372819)
	sentinelLimit     = int64(918273645546372817)
	sentinelFailures  = int64(918273645546372813)
	sentinelFactor    = 918273645.125
)

// Recipe is the machine-readable part of the generated file (template
// `batch-monitoring.recipe`): what the chart's Datadog check, monitors and Prometheus rules
// need to know about the injected metrics.
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
	// ManagedMetrics is the value inject writes to the managed-metrics annotation.
	ManagedMetrics string `json:"managedMetrics"`
	// Annotations names the annotations the injector reads and writes.
	Annotations map[string]string `json:"annotations"`
	// StalenessThreshold reports whether the per-job threshold gauge is part of the block.
	StalenessThreshold bool `json:"stalenessThreshold"`
}

// BuildRecipe returns the recipe summary for cfg.
func BuildRecipe(cfg *config.Config) Recipe {
	m := cfg.Spec.Metrics
	staleness := *m.StalenessThreshold.Enabled
	r := Recipe{
		Prefix:         Prefix,
		Metrics:        map[string]string{"exitCode": m.ExitCode.Name},
		Help:           map[string]string{"exitCode": m.ExitCode.Help},
		NamespaceLabel: cfg.Spec.Labels.Namespace,
		NameLabel:      cfg.Spec.Labels.Name,
		StaticLabels:   map[string]string{},
		Annotations: map[string]string{
			"managed":   config.AnnotationManaged,
			"labels":    config.AnnotationLabels,
			"threshold": config.AnnotationStalenessThreshold,
			"inject":    config.AnnotationInject,
		},
		StalenessThreshold: staleness,
	}
	for _, e := range []struct {
		key string
		m   config.Metric
	}{{"duration", m.Duration}, {"lastSuccess", m.LastSuccess}, {"stalenessThreshold", m.StalenessThreshold},
		{"currentRun", m.CurrentRun}, {"runTimeFactor", m.RunTimeFactor}, {"runTimeLimit", m.RunTimeLimit},
		{"consecutiveFailures", m.ConsecutiveFailures}, {"failureThreshold", m.FailureThreshold}} {
		if *e.m.Enabled {
			r.Metrics[e.key] = e.m.Name
			r.Help[e.key] = e.m.Help
		}
	}
	for k, v := range cfg.Spec.Labels.Static {
		r.StaticLabels[k] = v
	}
	ms := recipe.BuildJob(cfg, sentinelJob(cfg, staleness))
	for _, l := range ms[0].Labels {
		r.LabelKeys = append(r.LabelKeys, l.Key)
	}
	r.ManagedMetrics = strings.Join(recipe.Names(ms), ",")
	return r
}

func sentinelJob(cfg *config.Config, staleness bool) recipe.Job {
	j := recipe.Job{Name: sentinelName, Static: map[string]string{}}
	m := cfg.Spec.Metrics
	if *m.RunTimeFactor.Enabled {
		j.Settings.RunTimeFactor = sentinelFactor
	}
	if *m.RunTimeLimit.Enabled {
		j.RunTimeLimitSeconds = sentinelLimit
	}
	if *m.FailureThreshold.Enabled {
		j.Settings.FailureThreshold = sentinelFailures
	}
	for i, k := range staticKeys(cfg) {
		j.Static[k] = sentinelLabel + strconv.Itoa(i)
	}
	if staleness {
		j.StalenessThresholdSeconds = sentinelThreshold
	}
	return j
}

func staticKeys(cfg *config.Config) []string {
	keys := make([]string, 0, len(cfg.Spec.Labels.Static))
	for k := range cfg.Spec.Labels.Static {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Render returns the generated template file for cfg.
func Render(cfg *config.Config) ([]byte, error) {
	if err := checkNoSentinel(cfg); err != nil {
		return nil, err
	}
	rc := BuildRecipe(cfg)
	keys := staticKeys(cfg)

	// The block exactly as the recipe renders it (and inject writes it), with sentinels.
	ms := recipe.BuildJob(cfg, sentinelJob(cfg, rc.StalenessThreshold))
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: recipe.Nodes(ms)}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	items := escapeBraces(strings.TrimSuffix(buf.String(), "\n"))

	// Replace the sentinels by Helm expressions, checking each one is found where expected.
	replace := func(old, new string, want int) error {
		if n := strings.Count(items, old); n != want {
			return fmt.Errorf("helm template generation: %q found %d times in the rendered block, want %d", old, n, want)
		}
		items = strings.ReplaceAll(items, old, new)
		return nil
	}
	if err := replace(sentinelName, `{{ include "batch-monitoring.yamlScalar" $job.name }}`, len(ms)); err != nil {
		return nil, err
	}
	// Longest index first, so LABEL1 does not eat the prefix of LABEL10.
	for i := len(keys) - 1; i >= 0; i-- {
		expr := fmt.Sprintf(`{{ include "batch-monitoring.yamlScalar" (index $job.static %s) }}`, strconv.Quote(keys[i]))
		if err := replace(sentinelLabel+strconv.Itoa(i), expr, len(ms)); err != nil {
			return nil, err
		}
	}
	if rc.StalenessThreshold {
		th := recipe.Scalar(strconv.FormatInt(sentinelThreshold, 10))
		text, err := scalarText(th)
		if err != nil {
			return nil, err
		}
		if err := replace(text, `{{ include "batch-monitoring.yamlScalar" (toString (int64 $job.threshold)) }}`, 1); err != nil {
			return nil, err
		}
	}

	// The run-state gauges' per-job values: arguments of the template, like the threshold.
	_, factor := rc.Metrics["runTimeFactor"]
	_, limit := rc.Metrics["runTimeLimit"]
	_, failures := rc.Metrics["failureThreshold"]
	for _, v := range []struct {
		on         bool
		text, expr string
	}{
		{factor, strconv.FormatFloat(sentinelFactor, 'f', -1, 64), `{{ include "batch-monitoring.yamlScalar" $job.factor }}`},
		{limit, strconv.FormatInt(sentinelLimit, 10), `{{ include "batch-monitoring.yamlScalar" (toString (int64 $job.runTimeLimit)) }}`},
		{failures, strconv.FormatInt(sentinelFailures, 10), `{{ include "batch-monitoring.yamlScalar" (toString (int64 $job.failureThreshold)) }}`},
	} {
		if !v.on {
			continue
		}
		text, err := scalarText(recipe.Scalar(v.text))
		if err != nil {
			return nil, err
		}
		if err := replace(text, v.expr, 1); err != nil {
			return nil, err
		}
	}

	managed, err := scalarText(recipe.Scalar(rc.ManagedMetrics))
	if err != nil {
		return nil, err
	}
	rcJSON, err := json.Marshal(rc)
	if err != nil {
		return nil, err
	}

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("{{- /*\n")
	w("Code generated by \"argo-metrics-gen helm-template\" from pkg/recipe; DO NOT EDIT.\n")
	w("Regenerate with `make chart-template`, or for your own ArgoMetricsConfig:\n")
	w("  argo-metrics-gen helm-template --config FILE > charts/batch-monitoring/templates/_workflow-metrics.tpl\n")
	w("\n")
	w("Templates (named templates are global: usable from a parent chart):\n")
	w("  batch-monitoring.workflowMetrics            the `metrics:` block inject adds under spec.workflowSpec\n")
	w("  batch-monitoring.workflowMetricsItems       only the entries of metrics.prometheus (to follow your own)\n")
	w("  batch-monitoring.workflowMetricsAnnotations the CronWorkflow annotations inject reads and writes\n")
	w("  batch-monitoring.recipe                     metric names and label keys, as JSON\n")
	w("Argument of the first three: (dict \"name\" \"<CronWorkflow name>\"")
	if rc.StalenessThreshold {
		w(" \"stalenessThresholdSeconds\" <seconds>")
	}
	if limit {
		w(" \"runTimeLimitSeconds\" <seconds>")
	}
	if factor {
		w(" [\"runTimeFactor\" <number>]")
	}
	if failures {
		w(" [\"failureThreshold\" <runs>]")
	}
	w(" [\"labels\" (dict <static label> <value>)])\n")
	if rc.StalenessThreshold {
		w("stalenessThresholdSeconds: the longest gap between scheduled runs + startingDeadlineSeconds +\n")
		w("expected run time; `argo-metrics-gen schedule` prints it for rendered CronWorkflows.\n")
	}
	if limit {
		w("runTimeLimitSeconds: the longest a run may take, at most the shortest gap between scheduled runs\n")
		w("(written as annotation %s, which inject checks against the schedule).\n", config.AnnotationMaxRunSeconds)
	}
	if factor || failures {
		w("runTimeFactor (default %s) and failureThreshold (default %d): the job's %s and %s annotations.\n",
			strconv.FormatFloat(*cfg.Spec.RunTime.Factor, 'f', -1, 64), *cfg.Spec.ConsecutiveFailures.Threshold,
			config.AnnotationRunTimeFactor, config.AnnotationConsecutiveFailures)
	}
	w("*/ -}}\n\n")

	w("{{- define \"batch-monitoring.recipe\" -}}\n%s\n{{- end -}}\n\n", escapeBraces(string(rcJSON)))

	w("{{- /* batch-monitoring.yamlScalar: a string as recipe.Scalar writes it: plain when every YAML\n")
	w("parser reads it back unchanged, double-quoted otherwise. */ -}}\n")
	w("{{- define \"batch-monitoring.yamlScalar\" -}}\n")
	w("{{- $v := toString . -}}\n")
	w("{{- if and (regexMatch %s $v) (or (gt (len $v) 5) (not (has (lower $v) (list %s)))) -}}\n",
		strconv.Quote(plainRE), quotedList(yaml11Words))
	w("{{ $v }}\n{{- else -}}\n{{ toJson $v }}\n{{- end -}}\n{{- end -}}\n\n")

	w("{{- /* batch-monitoring.workflowMetricsJob: validates the argument, resolves the static labels;\n")
	w("JSON. Errors are the injector's, for the same input. */ -}}\n")
	w("{{- define \"batch-monitoring.workflowMetricsJob\" -}}\n")
	w("{{- if not (kindIs \"map\" .) -}}\n")
	w("{{- fail \"batch-monitoring.workflowMetrics: the argument must be a dict, e.g. (dict \\\"name\\\" \\\"nightly-report\\\"%s)\" -}}\n",
		map[bool]string{true: ` \"stalenessThresholdSeconds\" 90000`, false: ""}[rc.StalenessThreshold])
	w("{{- end -}}\n")
	w("{{- $name := toString (.name | default \"\") -}}\n")
	w("{{- if not $name -}}{{- fail \"batch-monitoring.workflowMetrics: name (the CronWorkflow's metadata.name) is required\" -}}{{- end -}}\n")
	w("{{- $static := dict")
	for _, k := range keys {
		w(" %s %s", strconv.Quote(k), strconv.Quote(cfg.Spec.Labels.Static[k]))
	}
	w(" -}}\n")
	w("{{- $overrides := list -}}\n")
	w("{{- range $k, $v := (.labels | default dict) -}}\n")
	w("{{- if not (hasKey $static $k) -}}\n")
	declared := "none are declared"
	if len(keys) > 0 {
		declared = "declared: " + strings.Join(keys, ", ")
	}
	w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: label %%q is not declared in spec.labels.static of the config (%s); every job must carry the same label keys\" $name $k) -}}\n", declared)
	w("{{- end -}}\n")
	w("{{- $s := toString $v | trim -}}\n")
	w("{{- if or (not $s) (contains \"{{\" $s) (contains \",\" $s) -}}\n")
	w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: label %%s: value %%q must be a non-empty static string without commas\" $name $k $s) -}}\n")
	w("{{- end -}}\n")
	w("{{- $_ := set $static $k $s -}}\n")
	w("{{- $overrides = append $overrides (printf \"%%s=%%s\" $k $s) -}}\n")
	w("{{- end -}}\n")
	w("{{- $threshold := 0 -}}\n")
	if rc.StalenessThreshold {
		w("{{- $t := .stalenessThresholdSeconds -}}\n")
		w("{{- if or (not (hasKey . \"stalenessThresholdSeconds\")) (kindIs \"invalid\" $t) -}}\n")
		w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: stalenessThresholdSeconds is required (longest gap between scheduled runs + startingDeadlineSeconds + expected run time, e.g. 90000 for a daily job; `argo-metrics-gen schedule` computes it)\" $name) -}}\n")
		w("{{- end -}}\n")
		w("{{- $threshold = int64 $t -}}\n")
		w("{{- if or (le $threshold 0) (ne (float64 $threshold) (float64 $t)) -}}\n")
		w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: stalenessThresholdSeconds must be a positive whole number of seconds, got %%v\" $name $t) -}}\n")
		w("{{- end -}}\n")
	}
	w("{{- $job := dict \"name\" $name \"static\" $static \"threshold\" $threshold \"overrides\" (sortAlpha $overrides | join \",\") -}}\n")
	if factor {
		def := strconv.FormatFloat(*cfg.Spec.RunTime.Factor, 'f', -1, 64)
		w("{{- $_ := set $job \"factor\" %s -}}\n", strconv.Quote(def))
		w("{{- if hasKey . \"runTimeFactor\" -}}\n")
		w("{{- $f := float64 .runTimeFactor -}}\n")
		w("{{- if or (le $f 0.0) (gt $f 1000000.0) -}}\n")
		w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: runTimeFactor must be a number above 0 and at most 1000000, got %%v\" $name .runTimeFactor) -}}\n")
		w("{{- end -}}\n")
		w("{{- $_ := set $job \"factor\" (ternary (toString (int64 $f)) (toString $f) (eq $f (float64 (int64 $f)))) -}}\n")
		w("{{- $_ := set $job \"factorAnnotation\" true -}}\n")
		w("{{- end -}}\n")
	}
	if limit {
		w("{{- $l := .runTimeLimitSeconds -}}\n")
		w("{{- if or (not (hasKey . \"runTimeLimitSeconds\")) (kindIs \"invalid\" $l) (le (int64 $l) 0) (ne (float64 (int64 $l)) (float64 $l)) -}}\n")
		w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: runTimeLimitSeconds is required: a positive whole number of seconds, at most the shortest gap between scheduled runs (`argo-metrics-gen schedule` prints it), got %%v\" $name $l) -}}\n")
		w("{{- end -}}\n")
		w("{{- $_ := set $job \"runTimeLimit\" (int64 $l) -}}\n")
	}
	if failures {
		w("{{- $_ := set $job \"failureThreshold\" %d -}}\n", *cfg.Spec.ConsecutiveFailures.Threshold)
		w("{{- if hasKey . \"failureThreshold\" -}}\n")
		w("{{- $n := .failureThreshold -}}\n")
		w("{{- if or (kindIs \"invalid\" $n) (lt (int64 $n) 1) (ne (float64 (int64 $n)) (float64 $n)) -}}\n")
		w("{{- fail (printf \"batch-monitoring.workflowMetrics: CronWorkflow %%s: failureThreshold must be a whole number of at least 1, got %%v\" $name $n) -}}\n")
		w("{{- end -}}\n")
		w("{{- $_ := set $job \"failureThreshold\" (int64 $n) -}}\n")
		w("{{- $_ := set $job \"failuresAnnotation\" true -}}\n")
		w("{{- end -}}\n")
	}
	w("{{- toJson $job -}}\n")
	w("{{- end -}}\n\n")

	w("{{- /* batch-monitoring.workflowMetricsItems: the entries inject appends to\n")
	w("spec.workflowSpec.metrics.prometheus. */ -}}\n")
	w("{{- define \"batch-monitoring.workflowMetricsItems\" -}}\n")
	w("{{- $job := include \"batch-monitoring.workflowMetricsJob\" . | fromJson -}}\n")
	w("%s\n{{- end -}}\n\n", items)

	w("{{- /* batch-monitoring.workflowMetrics: the block inject adds under spec.workflowSpec. */ -}}\n")
	w("{{- define \"batch-monitoring.workflowMetrics\" -}}\n")
	w("metrics:\n  prometheus:\n    {{- include \"batch-monitoring.workflowMetricsItems\" . | nindent 4 }}\n")
	w("{{- end -}}\n\n")

	w("{{- /* batch-monitoring.workflowMetricsAnnotations: metadata.annotations of a CronWorkflow carrying\n")
	w("the block, so that `inject --check` and a post-renderer find it up to date. */ -}}\n")
	w("{{- define \"batch-monitoring.workflowMetricsAnnotations\" -}}\n")
	w("{{- $job := include \"batch-monitoring.workflowMetricsJob\" . | fromJson -}}\n")
	// The injector appends its managed-metrics annotation after the existing ones: same order.
	w("{{- if $job.overrides -}}\n%s: {{ $job.overrides | quote }}\n{{ end -}}\n", config.AnnotationLabels)
	if rc.StalenessThreshold {
		w("%s: {{ int64 $job.threshold | toString | quote }}\n", config.AnnotationStalenessThreshold)
	}
	if factor {
		w("{{ if $job.factorAnnotation -}}\n%s: {{ $job.factor | quote }}\n{{ end -}}\n", config.AnnotationRunTimeFactor)
	}
	if limit {
		w("%s: {{ int64 $job.runTimeLimit | toString | quote }}\n", config.AnnotationMaxRunSeconds)
	}
	if failures {
		w("{{ if $job.failuresAnnotation -}}\n%s: {{ int64 $job.failureThreshold | toString | quote }}\n{{ end -}}\n", config.AnnotationConsecutiveFailures)
	}
	w("%s: %s\n", config.AnnotationManaged, managed)
	w("{{- end -}}\n")
	return []byte(b.String()), nil
}

// plainRE and yaml11Words restate recipe.PlainSafe for Helm; a test renders both on the same
// strings.
const plainRE = `^[A-Za-z_][A-Za-z0-9_./-]*$`

var yaml11Words = []string{"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}

func quotedList(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, " ")
}

// scalarText returns how the YAML encoder writes a scalar node.
func scalarText(n *yaml.Node) (string, error) {
	out, err := yaml.Marshal(n)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(out), "\n"), nil
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

func checkNoSentinel(cfg *config.Config) error {
	var texts []string
	m := cfg.Spec.Metrics
	for _, x := range []config.Metric{m.ExitCode, m.Duration, m.LastSuccess, m.StalenessThreshold, m.CurrentRun, m.ConsecutiveFailures} {
		texts = append(texts, x.Name, x.Help)
	}
	texts = append(texts, cfg.Spec.Labels.Namespace, cfg.Spec.Labels.Name)
	for k, v := range cfg.Spec.Labels.Static {
		texts = append(texts, k, v)
	}
	for _, t := range texts {
		if strings.Contains(t, "BMGENSENTINEL") || strings.Contains(t, "918273645") {
			return fmt.Errorf("configuration text %q contains a string reserved by the template generator", t)
		}
	}
	return nil
}
