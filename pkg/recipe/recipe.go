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
// Its nodes come from one allocation (a run renders one list per resource).
func (m Metric) Node() *yaml.Node {
	t := &tree{nodes: make([]yaml.Node, 0, 16+5*len(m.Labels)), content: make([]*yaml.Node, 0, 16+5*len(m.Labels))}
	return m.node(t, t.labels(m.Labels))
}

// labels renders a label list.
func (t *tree) labels(ls []Label) *yaml.Node {
	labels := t.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
	labels.Content = t.slice(len(ls))
	for _, l := range ls {
		labels.Content = append(labels.Content, t.mapping("key", t.scalar(l.Key), "value", t.scalar(l.Value)))
	}
	return labels
}

func (m Metric) node(t *tree, labels *yaml.Node) *yaml.Node {
	gauge := []*yaml.Node{t.key("value"), t.scalar(m.Gauge.Value)}
	if m.Gauge.Realtime {
		gauge = append(gauge, t.key("realtime"), t.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}))
	}
	if m.Gauge.Operation != "" {
		gauge = append(gauge, t.key("operation"), t.scalar(m.Gauge.Operation))
	}
	g := t.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: append(t.slice(len(gauge)), gauge...)})
	if m.When != "" {
		return t.mapping("name", t.scalar(m.Name), "help", t.scalar(m.Help), "labels", labels, "when", t.scalar(m.When), "gauge", g)
	}
	return t.mapping("name", t.scalar(m.Name), "help", t.scalar(m.Help), "labels", labels, "gauge", g)
}

// tree hands out nodes and content slices from two preallocated arrays, falling back to the
// heap when they are full (pointers into a full array stay valid: it is never grown). A
// mapping key is one node per tree, shared by every mapping that has it.
type tree struct {
	nodes   []yaml.Node
	content []*yaml.Node
	keys    []*yaml.Node
}

func (t *tree) node(n yaml.Node) *yaml.Node {
	if len(t.nodes) == cap(t.nodes) {
		p := new(yaml.Node) // not &n: n would then always escape
		*p = n
		return p
	}
	t.nodes = append(t.nodes, n)
	return &t.nodes[len(t.nodes)-1]
}

// slice returns an empty slice with room for n pointers.
func (t *tree) slice(n int) []*yaml.Node {
	if len(t.content)+n > cap(t.content) {
		return make([]*yaml.Node, 0, n)
	}
	out := t.content[len(t.content) : len(t.content) : len(t.content)+n]
	t.content = t.content[:len(t.content)+n]
	return out
}

func (t *tree) key(k string) *yaml.Node {
	for _, n := range t.keys {
		if n.Value == k {
			return n
		}
	}
	n := t.node(scalar(k))
	t.keys = append(t.keys, n)
	return n
}

func (t *tree) scalar(v string) *yaml.Node { return t.node(scalar(v)) }

// mapping builds a mapping of keys (strings) and values (nodes), alternating.
func (t *tree) mapping(pairs ...any) *yaml.Node {
	n := t.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	n.Content = t.slice(len(pairs))
	for i := 0; i < len(pairs); i += 2 {
		n.Content = append(n.Content, t.key(pairs[i].(string)), pairs[i+1].(*yaml.Node))
	}
	return n
}

// Nodes renders a list of metrics. Metrics built with the same label list (BuildJob gives all
// of a job's metrics one) share its node, as they share the list: the trees are for reading
// and writing out, not for editing in place (kyaml's writer copies before it edits).
func Nodes(ms []Metric) []*yaml.Node {
	if len(ms) == 0 {
		return []*yaml.Node{}
	}
	out := make([]*yaml.Node, len(ms))
	nodes, slots, keys := size(ms)
	t := &tree{nodes: make([]yaml.Node, 0, nodes), content: make([]*yaml.Node, 0, slots), keys: make([]*yaml.Node, 0, keys)}
	first := t.labels(ms[0].Labels)
	for i, m := range ms {
		labels := first
		if i > 0 && !sameList(m.Labels, ms[0].Labels) {
			labels = t.labels(m.Labels)
		}
		out[i] = m.node(t, labels)
	}
	return out
}

// size counts the nodes (keys among them) and content slots Nodes builds for ms, so that its
// tree is allocated once at its size.
func size(ms []Metric) (nodes, slots, keys int) {
	keys = 5 // name, help, labels, gauge, value
	when, realtime, operation, label := 0, 0, 0, 0
	for i, m := range ms {
		nodes += 5 // the mapping, name, help, gauge mapping and value
		slots += 10
		if m.When != "" {
			nodes, slots, when = nodes+1, slots+2, 1
		}
		if m.Gauge.Realtime {
			nodes, slots, realtime = nodes+1, slots+2, 1
		}
		if m.Gauge.Operation != "" {
			nodes, slots, operation = nodes+1, slots+2, 1
		}
		if i == 0 || !sameList(m.Labels, ms[0].Labels) {
			nodes += 1 + 3*len(m.Labels) // the list, and each label's mapping, key and value
			slots += 5 * len(m.Labels)
			if len(m.Labels) > 0 {
				label = 1
			}
		}
	}
	keys += when + realtime + operation + label
	return nodes + keys, slots, keys
}

// sameList reports whether a and b are the same slice (not merely equal).
func sameList(a, b []Label) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// yaml11Words are read as booleans or null by YAML 1.1 parsers (kubectl's included): quote them.
var yaml11Words = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true, "~": true}

// Scalar returns a string scalar node, plain when that is unambiguous, double-quoted otherwise.
func Scalar(v string) *yaml.Node {
	n := scalar(v)
	return &n
}

func scalar(v string) yaml.Node {
	n := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
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
