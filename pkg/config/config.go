// Package config is the one configuration object of argo-metrics-gen. The same document is
// read as `--config FILE` and as a Kustomize/kpt functionConfig, so a team keeps a single file
// that drives the CLI, the KRM function, lint and the chart's generated template alike.
package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

const (
	// APIVersion and Kind identify the configuration object.
	APIVersion = "argo-metrics-gen.io/v1alpha1"
	Kind       = "ArgoMetricsConfig"

	// AnnotationPrefix is the prefix of every annotation the tool reads or writes.
	AnnotationPrefix = "argo-metrics-gen.io/"
	// AnnotationInject set to "false" on a resource opts it out.
	AnnotationInject = AnnotationPrefix + "inject"
	// AnnotationLabels overrides values of declared static labels for one resource:
	// "team=payments,tier=gold".
	AnnotationLabels = AnnotationPrefix + "labels"
	// AnnotationManaged records which metric names the tool wrote, so a config change can
	// replace them in place instead of colliding with them as if a user had written them.
	AnnotationManaged = AnnotationPrefix + "managed-metrics"
	// AnnotationExpectedDuration overrides spec.staleness.expectedDurationSeconds for one job.
	AnnotationExpectedDuration = AnnotationPrefix + "expected-duration-seconds"
	// AnnotationStalenessThreshold sets one job's staleness threshold outright, in seconds.
	AnnotationStalenessThreshold = AnnotationPrefix + "staleness-threshold-seconds"
	// AnnotationRunTimeFactor overrides spec.runTime.factor for one job.
	AnnotationRunTimeFactor = AnnotationPrefix + "run-time-factor"
	// AnnotationMaxRunSeconds lowers one CronWorkflow's run-time limit below the shortest gap
	// between its scheduled runs.
	AnnotationMaxRunSeconds = AnnotationPrefix + "max-run-seconds"
	// AnnotationConsecutiveFailures overrides spec.consecutiveFailures.threshold for one job.
	AnnotationConsecutiveFailures = AnnotationPrefix + "consecutive-failures"
)

// Argo kinds the injector understands. CronWorkflow is the default target.
const (
	KindCronWorkflow            = "CronWorkflow"
	KindWorkflow                = "Workflow"
	KindWorkflowTemplate        = "WorkflowTemplate"
	KindClusterWorkflowTemplate = "ClusterWorkflowTemplate"
)

// SupportedKinds lists the kinds that may appear in spec.kinds.
var SupportedKinds = []string{KindCronWorkflow, KindWorkflow, KindWorkflowTemplate, KindClusterWorkflowTemplate}

// Config is the ArgoMetricsConfig object.
type Config struct {
	APIVersion string   `json:"apiVersion" yaml:"apiVersion"`
	Kind       string   `json:"kind" yaml:"kind"`
	Metadata   Metadata `json:"metadata,omitempty" yaml:"metadata,omitempty"`
	Spec       Spec     `json:"spec,omitempty" yaml:"spec,omitempty"`
}

// Metadata is the part of ObjectMeta a function config carries (Kustomize needs a name and
// reads the function annotation).
type Metadata struct {
	Name        string            `json:"name,omitempty" yaml:"name,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// Spec holds every setting; the zero value means "defaults".
type Spec struct {
	// Metrics names and documents the metrics that are injected.
	Metrics Metrics `json:"metrics,omitempty" yaml:"metrics,omitempty"`
	// Labels decides the label keys every injected metric carries.
	Labels Labels `json:"labels,omitempty" yaml:"labels,omitempty"`
	// Kinds lists the Argo kinds to treat; default [CronWorkflow].
	Kinds []string `json:"kinds,omitempty" yaml:"kinds,omitempty"`
	// Selector narrows the resources that are treated.
	Selector Selector `json:"selector,omitempty" yaml:"selector,omitempty"`
	// TakeOver replaces user metrics that reuse one of our names instead of failing.
	TakeOver bool `json:"takeOver,omitempty" yaml:"takeOver,omitempty"`
	// Staleness tunes the threshold of the "has not succeeded for too long" alert.
	Staleness Staleness `json:"staleness,omitempty" yaml:"staleness,omitempty"`
	// RunTime tunes the "running too long" alert (spec.metrics.currentRun).
	RunTime RunTime `json:"runTime,omitempty" yaml:"runTime,omitempty"`
	// ConsecutiveFailures tunes the "failed N times in a row" alert
	// (spec.metrics.consecutiveFailures).
	ConsecutiveFailures ConsecutiveFailures `json:"consecutiveFailures,omitempty" yaml:"consecutiveFailures,omitempty"`
}

// RunTime: a run is running too long after factor times the job's median duration, and in any
// case once it reaches the shortest gap between the job's scheduled runs (it would overlap the
// next one).
type RunTime struct {
	// Factor times the median duration; default 3.
	Factor *float64 `json:"factor,omitempty" yaml:"factor,omitempty"`
}

// ConsecutiveFailures: alert only after this many failed runs in a row.
type ConsecutiveFailures struct {
	// Threshold is the number of failed runs in a row that alerts; default 3.
	Threshold *int64 `json:"threshold,omitempty" yaml:"threshold,omitempty"`
}

// Staleness tunes the staleness threshold: the longest gap between two scheduled runs, plus
// startingDeadlineSeconds, plus how long a run may take (the success is recorded at completion).
type Staleness struct {
	// ExpectedDurationSeconds is how long a run may take; default 3600.
	ExpectedDurationSeconds *int64 `json:"expectedDurationSeconds,omitempty" yaml:"expectedDurationSeconds,omitempty"`
}

// Metrics configures each injected metric.
type Metrics struct {
	ExitCode    Metric `json:"exitCode,omitempty" yaml:"exitCode,omitempty"`
	Duration    Metric `json:"duration,omitempty" yaml:"duration,omitempty"`
	LastSuccess Metric `json:"lastSuccess,omitempty" yaml:"lastSuccess,omitempty"`
	// StalenessThreshold is a static per-CronWorkflow gauge: the seconds the job may go without
	// a success, derived from its schedule, so one fleet-wide alert rule fits every job.
	StalenessThreshold Metric `json:"stalenessThreshold,omitempty" yaml:"stalenessThreshold,omitempty"`
	// CurrentRun is a realtime gauge (opt-in): seconds the current run has been running, then
	// the duration of the last run once it ended.
	CurrentRun Metric `json:"currentRun,omitempty" yaml:"currentRun,omitempty"`
	// RunTimeFactor is a static gauge, on with currentRun: the job's spec.runTime.factor.
	RunTimeFactor Metric `json:"runTimeFactor,omitempty" yaml:"runTimeFactor,omitempty"`
	// RunTimeLimit is a static per-CronWorkflow gauge, on with currentRun: the shortest gap
	// between its scheduled runs (or a lower annotation value), in seconds.
	RunTimeLimit Metric `json:"runTimeLimit,omitempty" yaml:"runTimeLimit,omitempty"`
	// ConsecutiveFailures is a gauge (opt-in): failed runs in a row, 0 after a success. It
	// restarts from 0 when the controller restarts.
	ConsecutiveFailures Metric `json:"consecutiveFailures,omitempty" yaml:"consecutiveFailures,omitempty"`
	// FailureThreshold is a static gauge, on with consecutiveFailures: the job's
	// spec.consecutiveFailures.threshold.
	FailureThreshold Metric `json:"failureThreshold,omitempty" yaml:"failureThreshold,omitempty"`
}

// Metric is the name (without Argo's argo_workflows_ prefix) and help of one metric.
type Metric struct {
	// Enabled defaults to true (to false for currentRun and consecutiveFailures, to theirs for
	// their threshold gauges); exitCode cannot be disabled.
	Enabled *bool  `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	Name    string `json:"name,omitempty" yaml:"name,omitempty"`
	Help    string `json:"help,omitempty" yaml:"help,omitempty"`
}

// Labels configures label keys. Every metric gets the same key set: Argo's controller refuses
// a metric name whose label keys differ between workflows.
type Labels struct {
	// Namespace is the key of the label valued {{workflow.namespace}}.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// Name is the key of the label holding the resource's own name, baked in statically.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Static declares extra labels with their default values; a resource may override a
	// value (never add a key) with the argo-metrics-gen.io/labels annotation.
	Static map[string]string `json:"static,omitempty" yaml:"static,omitempty"`
	// FromResource declares labels whose value each resource gives in its own metadata.labels
	// (e.g. team, set by a Kustomize overlay), keyed by the metric label key. The value is
	// baked in at injection time: Argo does not resolve workflow.labels in workflow-level
	// metrics reliably (argo-workflows#13141).
	FromResource map[string]ResourceLabel `json:"fromResource,omitempty" yaml:"fromResource,omitempty"`
}

// ResourceLabel says where a FromResource label's value comes from.
type ResourceLabel struct {
	// Label is the key in the resource's metadata.labels; default: the metric label key.
	Label string `json:"label,omitempty" yaml:"label,omitempty"`
	// Default is the value for a resource without that label (or with an empty value);
	// default "unknown".
	Default string `json:"default,omitempty" yaml:"default,omitempty"`
}

// Selector narrows which resources are treated. Empty fields select everything.
type Selector struct {
	// Namespaces selects resources whose metadata.namespace is listed.
	Namespaces []string `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	// LabelSelector is a Kubernetes label selector string, e.g. "team=data,tier!=dev".
	LabelSelector string `json:"labelSelector,omitempty" yaml:"labelSelector,omitempty"`
}

// Defaults of the zero configuration.
const (
	DefaultExitCodeName    = "exit_code"
	DefaultDurationName    = "duration"
	DefaultLastSuccessName = "last_success_timestamp"
	DefaultExitCodeHelp    = "1 if the last run of the job ended Failed or Error, 0 if it Succeeded"
	DefaultDurationHelp    = "Duration of the last run of the job in seconds"
	DefaultLastSuccessHelp = "Creation time (Unix seconds) of the last run of the job that Succeeded"
	DefaultThresholdName   = "staleness_threshold_seconds"
	DefaultThresholdHelp   = "Seconds the job may go without a successful run: longest gap between its scheduled runs plus grace"
	// DefaultExpectedDuration is how long a run may take unless configured (seconds).
	DefaultExpectedDuration     int64 = 3600
	DefaultCurrentRunName             = "current_run_seconds"
	DefaultCurrentRunHelp             = "Seconds the current run of the job has been running; the last run's duration once it ended"
	DefaultRunTimeFactorName          = "run_time_factor"
	DefaultRunTimeFactorHelp          = "A run of the job is running too long after this many times its median duration"
	DefaultRunTimeLimitName           = "run_time_limit_seconds"
	DefaultRunTimeLimitHelp           = "Seconds a run of the job may take at most: the shortest gap between its scheduled runs"
	DefaultConsecutiveName            = "consecutive_failures"
	DefaultConsecutiveHelp            = "Failed runs of the job in a row since its last success (since the controller started)"
	DefaultFailureThresholdName       = "consecutive_failures_threshold"
	DefaultFailureThresholdHelp       = "Failed runs of the job in a row that alert"
	// DefaultRunTimeFactor and DefaultFailureThreshold apply unless configured.
	DefaultRunTimeFactor          = 3.0
	DefaultFailureThreshold int64 = 3
	DefaultNamespaceLabel         = "namespace"
	DefaultNameLabel              = "cronworkflow"
	// DefaultResourceLabelValue is a FromResource label's value on resources without the label.
	DefaultResourceLabelValue = "unknown"
)

// Default returns the zero configuration with every default filled in.
func Default() *Config {
	c := &Config{APIVersion: APIVersion, Kind: Kind}
	if err := c.Complete(); err != nil {
		panic(err) // the defaults are constants; failing here is a programming error
	}
	return c
}

// Patterns the JSON Schemas (schema/argometricsconfig.schema.json and the chart's
// values.schema.json) state too; a test keeps them equal.
const (
	// ResourceLabelKeyPattern is a Kubernetes label key (an optional DNS-subdomain prefix and
	// "/", then a name of at most 63 characters), or empty (the default).
	ResourceLabelKeyPattern = `^(([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`
	// LabelSelectorPattern is the syntax of a Kubernetes label selector (labels.Parse):
	// comma-separated requirements key, !key, key=value, key==value, key!=value,
	// key in (values), key notin (values), key>N, key<N (N: a whole number of at most 18 digits; labels.Parse takes any int64).
	LabelSelectorPattern = `^\s*(` + selectorRequirement + `(\s*,\s*` + selectorRequirement + `)*)?\s*$`

	selectorKey         = `([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`
	selectorValue       = `([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?`
	selectorRequirement = `(!\s*` + selectorKey + `|` + selectorKey + `(\s*(=|==|!=)\s*` + selectorValue + `|\s+(in|notin)\s*\(\s*` + selectorValue + `(\s*,\s*` + selectorValue + `)*\s*\)|\s*(>|<)\s*[0-9]{1,18})?)`
)

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	// labelKeyRE is Prometheus' label-name syntax; keys starting "__" are reserved.
	labelKeyRE         = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	resourceLabelKeyRE = regexp.MustCompile(ResourceLabelKeyPattern)
)

// Complete fills defaults and validates the result. Field paths in errors are the YAML
// paths a user writes.
func (c *Config) Complete() error {
	if c.APIVersion != APIVersion {
		return fmt.Errorf("apiVersion: must be %q, got %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		return fmt.Errorf("kind: must be %q, got %q", Kind, c.Kind)
	}
	s := &c.Spec
	completeMetric(&s.Metrics.ExitCode, DefaultExitCodeName, DefaultExitCodeHelp)
	completeMetric(&s.Metrics.Duration, DefaultDurationName, DefaultDurationHelp)
	completeMetric(&s.Metrics.LastSuccess, DefaultLastSuccessName, DefaultLastSuccessHelp)
	completeMetric(&s.Metrics.StalenessThreshold, DefaultThresholdName, DefaultThresholdHelp)
	completeOptional(&s.Metrics.CurrentRun, false, DefaultCurrentRunName, DefaultCurrentRunHelp)
	completeOptional(&s.Metrics.RunTimeFactor, *s.Metrics.CurrentRun.Enabled, DefaultRunTimeFactorName, DefaultRunTimeFactorHelp)
	completeOptional(&s.Metrics.RunTimeLimit, *s.Metrics.CurrentRun.Enabled, DefaultRunTimeLimitName, DefaultRunTimeLimitHelp)
	completeOptional(&s.Metrics.ConsecutiveFailures, false, DefaultConsecutiveName, DefaultConsecutiveHelp)
	completeOptional(&s.Metrics.FailureThreshold, *s.Metrics.ConsecutiveFailures.Enabled, DefaultFailureThresholdName, DefaultFailureThresholdHelp)
	if s.RunTime.Factor == nil {
		f := DefaultRunTimeFactor
		s.RunTime.Factor = &f
	} else if err := checkFactor("spec.runTime.factor", *s.RunTime.Factor); err != nil {
		return err
	}
	if s.ConsecutiveFailures.Threshold == nil {
		n := DefaultFailureThreshold
		s.ConsecutiveFailures.Threshold = &n
	} else if *s.ConsecutiveFailures.Threshold < 1 {
		return fmt.Errorf("spec.consecutiveFailures.threshold: must be at least 1")
	}
	if s.Staleness.ExpectedDurationSeconds == nil {
		d := DefaultExpectedDuration
		s.Staleness.ExpectedDurationSeconds = &d
	} else if *s.Staleness.ExpectedDurationSeconds < 0 {
		return fmt.Errorf("spec.staleness.expectedDurationSeconds: must not be negative")
	}
	if !*s.Metrics.ExitCode.Enabled {
		return fmt.Errorf("spec.metrics.exitCode.enabled: exit_code is the core metric and cannot be disabled")
	}
	seen := map[string]string{}
	for _, m := range []struct {
		path string
		m    Metric
	}{{"exitCode", s.Metrics.ExitCode}, {"duration", s.Metrics.Duration}, {"lastSuccess", s.Metrics.LastSuccess}, {"stalenessThreshold", s.Metrics.StalenessThreshold},
		{"currentRun", s.Metrics.CurrentRun}, {"runTimeFactor", s.Metrics.RunTimeFactor}, {"runTimeLimit", s.Metrics.RunTimeLimit},
		{"consecutiveFailures", s.Metrics.ConsecutiveFailures}, {"failureThreshold", s.Metrics.FailureThreshold}} {
		if !metricNameRE.MatchString(m.m.Name) {
			return fmt.Errorf("spec.metrics.%s.name: %q is not a valid metric name (want [a-zA-Z_][a-zA-Z0-9_]*)", m.path, m.m.Name)
		}
		if strings.TrimSpace(m.m.Help) == "" {
			return fmt.Errorf("spec.metrics.%s.help: must not be blank (Argo refuses metrics without help)", m.path)
		}
		if *m.m.Enabled {
			if other, dup := seen[m.m.Name]; dup {
				return fmt.Errorf("spec.metrics.%s.name: %q is already the name of spec.metrics.%s", m.path, m.m.Name, other)
			}
			seen[m.m.Name] = m.path
		}
	}

	if s.Labels.Namespace == "" {
		s.Labels.Namespace = DefaultNamespaceLabel
	}
	if s.Labels.Name == "" {
		s.Labels.Name = DefaultNameLabel
	}
	keys := map[string]string{}
	for _, k := range []struct{ path, key string }{{"spec.labels.namespace", s.Labels.Namespace}, {"spec.labels.name", s.Labels.Name}} {
		if err := checkLabelKey(k.path, k.key, keys); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(s.Labels.Static) {
		path := "spec.labels.static." + k
		if err := checkLabelKey(path, k, keys); err != nil {
			return err
		}
		if err := checkStaticValue(path, s.Labels.Static[k]); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(s.Labels.FromResource) {
		path := "spec.labels.fromResource." + k
		if err := checkLabelKey(path, k, keys); err != nil {
			return err
		}
		rl := s.Labels.FromResource[k]
		if rl.Label == "" {
			rl.Label = k
		} else if !resourceLabelKeyRE.MatchString(rl.Label) || len(rl.Label) > 317 {
			return fmt.Errorf("%s.label: %q is not a Kubernetes label key", path, rl.Label)
		}
		if rl.Default == "" {
			rl.Default = DefaultResourceLabelValue
		} else if err := checkStaticValue(path+".default", rl.Default); err != nil {
			return err
		}
		s.Labels.FromResource[k] = rl
	}

	if len(s.Kinds) == 0 {
		s.Kinds = []string{KindCronWorkflow}
	}
	seenKind := map[string]bool{}
	for i, k := range s.Kinds {
		if !isSupportedKind(k) {
			return fmt.Errorf("spec.kinds[%d]: %q is not one of %s", i, k, strings.Join(SupportedKinds, ", "))
		}
		if seenKind[k] {
			return fmt.Errorf("spec.kinds[%d]: %q is listed twice", i, k)
		}
		seenKind[k] = true
	}
	if _, err := labels.Parse(s.Selector.LabelSelector); err != nil {
		return fmt.Errorf("spec.selector.labelSelector: %v", err)
	}
	return nil
}

// resourceLabelValue is Kubernetes' syntax of a label value (at most 63 characters).
var resourceLabelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)

// ResourceLabelError is a resource label that cannot become a metric label value.
type ResourceLabelError struct {
	Label, Value string // the resource's label and its value
	Key          string // the metric label key (spec.labels.fromResource)
}

func (e *ResourceLabelError) Error() string {
	return fmt.Sprintf("metadata.labels.%s: %q is not a valid label value (at most 63 characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit), so it cannot become the metric label %s (spec.labels.fromResource)", e.Label, e.Value, e.Key)
}

// JobLabels returns the values of a resource's declared labels: the static ones, the
// FromResource ones from its metadata.labels (the default where it has none or an empty one),
// then the overrides of its argo-metrics-gen.io/labels annotation. A copied value that is not a
// valid Kubernetes label value is an error naming the label.
func (c *Config) JobLabels(resourceLabels map[string]string, annotation string) (map[string]string, error) {
	base := make(map[string]string, len(c.Spec.Labels.Static)+len(c.Spec.Labels.FromResource))
	for k, v := range c.Spec.Labels.Static {
		base[k] = v
	}
	for _, k := range sortedKeys(c.Spec.Labels.FromResource) {
		rl := c.Spec.Labels.FromResource[k]
		v := resourceLabels[rl.Label]
		if !resourceLabelValue.MatchString(v) {
			return nil, &ResourceLabelError{Label: rl.Label, Value: v, Key: k}
		}
		if v == "" {
			v = rl.Default
		}
		base[k] = v
	}
	return c.overrideLabels(base, annotation)
}

func completeMetric(m *Metric, name, help string) {
	if m.Enabled == nil {
		t := true
		m.Enabled = &t
	}
	if m.Name == "" {
		m.Name = name
	}
	if m.Help == "" {
		m.Help = help
	}
}

// completeOptional is completeMetric for a metric whose Enabled defaults to on.
func completeOptional(m *Metric, on bool, name, help string) {
	if m.Enabled == nil {
		m.Enabled = &on
	}
	completeMetric(m, name, help)
}

func checkFactor(path string, f float64) error {
	if !(f > 0) || f > 1e6 {
		return fmt.Errorf("%s: must be a number above 0 and at most 1000000, got %v", path, f)
	}
	return nil
}

// JobSettings are the per-job values of the run-state gauges, annotations applied.
type JobSettings struct {
	RunTimeFactor    float64
	FailureThreshold int64
	// MaxRunSeconds is the annotation's limit, 0 if not set.
	MaxRunSeconds int64
}

// Settings returns a resource's run-state settings from the configuration and its annotations.
func (c *Config) Settings(annotations map[string]string) (JobSettings, error) {
	js := JobSettings{RunTimeFactor: *c.Spec.RunTime.Factor, FailureThreshold: *c.Spec.ConsecutiveFailures.Threshold}
	if v, ok := annotations[AnnotationRunTimeFactor]; ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || checkFactor("", f) != nil {
			return js, fmt.Errorf("annotation %s must be a number above 0 and at most 1000000, got %q", AnnotationRunTimeFactor, v)
		}
		js.RunTimeFactor = f
	}
	if v, ok := annotations[AnnotationConsecutiveFailures]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1 {
			return js, fmt.Errorf("annotation %s must be a whole number of at least 1, got %q", AnnotationConsecutiveFailures, v)
		}
		js.FailureThreshold = n
	}
	if v, ok := annotations[AnnotationMaxRunSeconds]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1 {
			return js, fmt.Errorf("annotation %s must be a whole number of seconds of at least 1, got %q", AnnotationMaxRunSeconds, v)
		}
		js.MaxRunSeconds = n
	}
	return js, nil
}

func checkLabelKey(path, key string, seen map[string]string) error {
	if !labelKeyRE.MatchString(key) || strings.HasPrefix(key, "__") {
		return fmt.Errorf("%s: %q is not a valid label key (want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", path, key)
	}
	if other, dup := seen[key]; dup {
		return fmt.Errorf("%s: label key %q is already used by %s", path, key, other)
	}
	seen[key] = path
	return nil
}

// checkStaticValue refuses values Argo would template or reject: metric label values must be
// non-empty and a static value must not pull in a per-run variable.
func checkStaticValue(path, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s: label value must not be empty (Argo drops metrics with empty label values)", path)
	}
	if strings.Contains(v, "{{") {
		return fmt.Errorf("%s: label value %q must be static; template variables would create a series per run", path, v)
	}
	return nil
}

func isSupportedKind(k string) bool {
	for _, s := range SupportedKinds {
		if s == k {
			return true
		}
	}
	return false
}

// Treats reports whether kind is one of the configured kinds.
func (c *Config) Treats(kind string) bool {
	for _, k := range c.Spec.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Selects reports whether a resource with this namespace and these labels is selected.
func (c *Config) Selects(namespace string, resourceLabels map[string]string) bool {
	if ns := c.Spec.Selector.Namespaces; len(ns) > 0 {
		found := false
		for _, n := range ns {
			found = found || n == namespace
		}
		if !found {
			return false
		}
	}
	sel, err := labels.Parse(c.Spec.Selector.LabelSelector)
	if err != nil { // Complete already refused it
		return false
	}
	return sel.Matches(labels.Set(resourceLabels))
}

// overrideLabels applies the argo-metrics-gen.io/labels annotation to the declared labels in
// out. An override of an undeclared key is an error: it would change the label-key set of the
// metric for one workflow only, which the controller refuses.
func (c *Config) overrideLabels(out map[string]string, annotation string) (map[string]string, error) {
	if strings.TrimSpace(annotation) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(annotation, ",") {
		pair = strings.TrimSpace(pair)
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return nil, fmt.Errorf("annotation %s: %q is not key=value", AnnotationLabels, pair)
		}
		if _, declared := out[k]; !declared {
			known := "none are declared"
			if len(out) > 0 {
				known = "declared: " + strings.Join(sortedKeys(out), ", ")
			}
			return nil, fmt.Errorf("annotation %s: label %q is not declared in spec.labels.static or spec.labels.fromResource of the config (%s); every job must carry the same label keys",
				AnnotationLabels, k, known)
		}
		if err := checkStaticValue("annotation "+AnnotationLabels+": "+k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
