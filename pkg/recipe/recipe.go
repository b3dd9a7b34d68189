// Package recipe builds the monitoring metric block for one Argo resource. It is the single
// definition of what argo-metrics-gen injects; inject, lint and the chart's generated Helm
// template all render from it.
package recipe

import (
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// Argo template expressions used by the recipe. Only workflow-level variables that exist when
// the workflow completes are used: never {{exitCode}} (pod nodes only) nor any per-run value in
// a label.
//
// Success is the entry node's status AND no failed exit handler. When the body succeeds and the
// onExit handler fails, Argo ends the run Failed while {{status}} and {{workflow.status}} still
// say Succeeded; workflow.failures (computed in the same pass, Go-quoted JSON) lists the
// handler's node with the display name "<workflow name>.onExit". Inside an Argo expression
// ({{= }}) that JSON is a plain string; inside govaluate its quotes break the `when`. The test
// matches the name with the \" that closes it, so a retry attempt "<name>.onExit(0)" of a
// handler that recovered does not count. Proven against the real controller v3.5.14, v3.6.10,
// v3.7.18 and v4.0.2 (test/e2e). Limits: the failure of a steps or DAG handler, or of a handler
// with a retryStrategy, is listed under other names and not seen (lint warns).
const (
	WhenSucceeded    = `{{=status == 'Succeeded' && !(workflow.failures contains (workflow.name + '.onExit\\"'))}}`
	WhenNotSucceeded = `{{=status != 'Succeeded' || workflow.failures contains (workflow.name + '.onExit\\"')}}`
	NamespaceValue   = "{{workflow.namespace}}"
	DurationValue    = "{{workflow.duration}}"
	CreationSeconds  = "{{workflow.creationTimestamp.s}}"
)

// Label is one metric label.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Gauge is the only metric type the recipe uses.
type Gauge struct {
	Value string `json:"value"`
	// Realtime: the controller evaluates Value (only {{workflow.duration}}) at every scrape
	// while the run goes on, and freezes it at the run's duration when the run ends.
	Realtime bool `json:"realtime,omitempty"`
	// Operation is Argo's gauge operation (Set when empty, Add, Sub; Argo v3.5+).
	Operation string `json:"operation,omitempty"`
}

// Metric mirrors Argo's Prometheus metric spec (wfv1.Prometheus) for the fields we emit, in the
// key order we write them.
type Metric struct {
	Name   string  `json:"name"`
	Help   string  `json:"help"`
	Labels []Label `json:"labels"`
	When   string  `json:"when,omitempty"`
	Gauge  Gauge   `json:"gauge"`
}

// Build returns the metrics for a resource called name (its identity label value) with the
// given static labels (declared keys with their resolved values), without a staleness
// threshold.
func Build(c *config.Config, name string, static map[string]string) []Metric {
	return BuildJob(c, Job{Name: name, Static: static})
}

// Job identifies one resource and what is known of its schedule.
type Job struct {
	Name   string            // identity label value
	Static map[string]string // declared static labels with their resolved values
	// StalenessThresholdSeconds, when positive, adds the static threshold gauge (CronWorkflows).
	StalenessThresholdSeconds int64
	// RunTimeLimitSeconds, when positive, adds the run-time limit gauge (CronWorkflows, with
	// currentRun): the shortest gap between scheduled runs, or a lower annotation value.
	RunTimeLimitSeconds int64
	// Settings are the per-job factor and failure threshold (config, annotations applied);
	// zero values take the configuration's.
	Settings config.JobSettings
}

// BuildJob returns the metrics for one job.
func BuildJob(c *config.Config, j Job) []Metric {
	name, static := j.Name, j.Static
	labels := []Label{
		{Key: c.Spec.Labels.Namespace, Value: NamespaceValue},
		{Key: c.Spec.Labels.Name, Value: name},
	}
	keys := make([]string, 0, len(static))
	for k := range static {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		labels = append(labels, Label{Key: k, Value: static[k]})
	}

	m := c.Spec.Metrics
	out := []Metric{
		{Name: m.ExitCode.Name, Help: m.ExitCode.Help, Labels: labels, When: WhenSucceeded, Gauge: Gauge{Value: "0"}},
		{Name: m.ExitCode.Name, Help: m.ExitCode.Help, Labels: labels, When: WhenNotSucceeded, Gauge: Gauge{Value: "1"}},
	}
	if *m.Duration.Enabled {
		out = append(out, Metric{Name: m.Duration.Name, Help: m.Duration.Help, Labels: labels, Gauge: Gauge{Value: DurationValue}})
	}
	if *m.LastSuccess.Enabled {
		out = append(out, Metric{Name: m.LastSuccess.Name, Help: m.LastSuccess.Help, Labels: labels, When: WhenSucceeded, Gauge: Gauge{Value: CreationSeconds}})
	}
	if *m.StalenessThreshold.Enabled && j.StalenessThresholdSeconds > 0 {
		// Emitted on every completion, whatever the outcome: the alert needs it to exist.
		out = append(out, Metric{Name: m.StalenessThreshold.Name, Help: m.StalenessThreshold.Help, Labels: labels,
			Gauge: Gauge{Value: strconv.FormatInt(j.StalenessThresholdSeconds, 10)}})
	}
	factor, failures := j.Settings.RunTimeFactor, j.Settings.FailureThreshold
	if factor == 0 {
		factor = *c.Spec.RunTime.Factor
	}
	if failures == 0 {
		failures = *c.Spec.ConsecutiveFailures.Threshold
	}
	if *m.CurrentRun.Enabled {
		// Realtime (test/e2e/README.md, measured on v3.5.14, v3.6.10, v3.7.18): grows from the
		// run's start (also while its pods are Pending), freezes at the stored run's duration
		// (whole seconds) when it ends (v3.6 removes it), restarts with the next run; absent
		// after a controller restart until a run goes; lost under metricsTTL on v3.6+.
		out = append(out, Metric{Name: m.CurrentRun.Name, Help: m.CurrentRun.Help, Labels: labels,
			Gauge: Gauge{Value: DurationValue, Realtime: true}})
	}
	if *m.RunTimeFactor.Enabled {
		out = append(out, Metric{Name: m.RunTimeFactor.Name, Help: m.RunTimeFactor.Help, Labels: labels,
			Gauge: Gauge{Value: strconv.FormatFloat(factor, 'f', -1, 64)}})
	}
	if *m.RunTimeLimit.Enabled && j.RunTimeLimitSeconds > 0 {
		out = append(out, Metric{Name: m.RunTimeLimit.Name, Help: m.RunTimeLimit.Help, Labels: labels,
			Gauge: Gauge{Value: strconv.FormatInt(j.RunTimeLimitSeconds, 10)}})
	}
	if *m.ConsecutiveFailures.Enabled {
		// One series, two definitions: the controller keys a custom metric by name and labels
		// and applies each definition's operation to the same value (measured, test/e2e).
		out = append(out,
			Metric{Name: m.ConsecutiveFailures.Name, Help: m.ConsecutiveFailures.Help, Labels: labels, When: WhenSucceeded, Gauge: Gauge{Value: "0"}},
			Metric{Name: m.ConsecutiveFailures.Name, Help: m.ConsecutiveFailures.Help, Labels: labels, When: WhenNotSucceeded, Gauge: Gauge{Value: "1", Operation: "Add"}})
	}
	if *m.FailureThreshold.Enabled {
		out = append(out, Metric{Name: m.FailureThreshold.Name, Help: m.FailureThreshold.Help, Labels: labels,
			Gauge: Gauge{Value: strconv.FormatInt(failures, 10)}})
	}
	return out
}

// Names returns the distinct metric names in order of first appearance.
func Names(ms []Metric) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.Name] {
			seen[m.Name] = true
			out = append(out, m.Name)
		}
	}
	return out
}

// Node renders a metric as a YAML mapping node. Scalars that YAML would not read back as the
// same string are double-quoted, everything else is plain, so output is stable and readable.
func (m Metric) Node() *yaml.Node {
	labels := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{}}
	for _, l := range m.Labels {
		labels.Content = append(labels.Content, mapping("key", Scalar(l.Key), "value", Scalar(l.Value)))
	}
	gauge := []any{"value", Scalar(m.Gauge.Value)}
	if m.Gauge.Realtime {
		gauge = append(gauge, "realtime", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if m.Gauge.Operation != "" {
		gauge = append(gauge, "operation", Scalar(m.Gauge.Operation))
	}
	pairs := []any{"name", Scalar(m.Name), "help", Scalar(m.Help), "labels", labels}
	if m.When != "" {
		pairs = append(pairs, "when", Scalar(m.When))
	}
	return mapping(append(pairs, "gauge", mapping(gauge...))...)
}

// Nodes renders a list of metrics, each a tree of its own.
func Nodes(ms []Metric) []*yaml.Node {
	out := make([]*yaml.Node, len(ms))
	for i, m := range ms {
		out[i] = m.Node()
	}
	return out
}

// mapping builds a mapping of keys (strings) and values (nodes), alternating.
func mapping(pairs ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i < len(pairs); i += 2 {
		n.Content = append(n.Content, Scalar(pairs[i].(string)), pairs[i+1].(*yaml.Node))
	}
	return n
}

// yaml11Words are read as booleans or null by YAML 1.1 parsers (kubectl's included): quote them.
var yaml11Words = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true, "~": true}

// Scalar returns a string scalar node, plain when that is unambiguous, double-quoted otherwise.
func Scalar(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if !PlainSafe(v) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// PlainSafe reports whether v can be written as a plain scalar that every YAML parser reads back
// as the same string: [A-Za-z_][A-Za-z0-9_./-]*, and not a YAML 1.1 boolean or null.
func PlainSafe(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '.' || c == '/' || c == '-')) {
			return false
		}
	}
	return len(v) > 5 || !yaml11Words[strings.ToLower(v)]
}
