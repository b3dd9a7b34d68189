package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
)

// Value is one documented value of values.yaml: a leaf (scalar, list or empty mapping)
// preceded by a helm-docs style `# -- description` comment.
type Value struct {
	Path        string // dotted, e.g. datadog.monitors.create
	Type        string // string, int, float, bool, list, object
	Default     string // the default as compact JSON
	Description string
	Line        int
}

// Verbatim values are objects of another format carried whole (the ArgoMetricsConfig): one
// documented value, their own schema, not sections of the chart's.
var Verbatim = map[string]bool{"argoMetricsConfig": true}

// ParseValues reads values.yaml and returns its documented values in file order. Every leaf
// must carry a `# --` comment, and a mapping with keys (a section) must not: the errors list
// the offenders with their lines.
func ParseValues(data []byte) ([]Value, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("values.yaml: not a mapping")
	}
	var out []Value
	var problems []string
	var walk func(m *yaml.Node, prefix string, inherited string)
	walk = func(m *yaml.Node, prefix, inherited string) {
		for i := 0; i < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			path := prefix + k.Value
			comment := k.HeadComment
			if i == 0 && inherited != "" {
				comment = inherited + "\n" + comment
			}
			desc, has := description(comment)
			if v.Kind == yaml.MappingNode && len(v.Content) > 0 && !Verbatim[path] {
				if has {
					problems = append(problems, fmt.Sprintf("line %d: %s is a section (a mapping with keys): document its keys, not it", k.Line, path))
				}
				walk(v, path+".", "")
				continue
			}
			if !has {
				problems = append(problems, fmt.Sprintf("line %d: %s has no `# --` description", k.Line, path))
				continue
			}
			var val any
			if err := v.Decode(&val); err != nil {
				problems = append(problems, fmt.Sprintf("line %d: %s: %v", k.Line, path, err))
				continue
			}
			def, _ := json.Marshal(normalize(val))
			out = append(out, Value{Path: path, Type: typeOf(v), Default: string(def), Description: desc, Line: k.Line})
		}
	}
	// yaml.v3 gives the comment above the first key to the document when a blank line
	// separates it from the file's header; only the part from "# --" on counts.
	walk(doc.Content[0], "", doc.HeadComment)
	if len(problems) > 0 {
		return out, fmt.Errorf("values.yaml:\n  %s", strings.Join(problems, "\n  "))
	}
	return out, nil
}

// description extracts the helm-docs description from a head comment: the text after the
// last "# --", with following "#" lines as continuation.
func description(comment string) (string, bool) {
	lines := strings.Split(comment, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# --") {
			start = i
		}
	}
	if start < 0 {
		return "", false
	}
	parts := []string{strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[start]), "# --"))}
	for _, l := range lines[start+1:] {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "#") {
			break
		}
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(l, "#")))
	}
	d := strings.TrimSpace(strings.Join(parts, " "))
	return d, d != ""
}

func typeOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "object"
	}
	switch n.ShortTag() {
	case "!!int":
		return "int"
	case "!!float":
		return "float"
	case "!!bool":
		return "bool"
	case "!!null":
		return "null"
	}
	return "string"
}

// normalize turns yaml.v3's map[string]any trees into JSON-encodable values.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
		return v
	}
	return v
}

// Markers in README.in.md replaced by generated content.
const (
	markerValues  = "<!-- generated: values -->"
	markerMetrics = "<!-- generated: metrics -->"
)

// READMEFile and READMESource are the chart README and the hand-written text it is made from.
const (
	READMEFile   = "README.md"
	READMESource = "README.in.md"
	SchemaFile   = "values.schema.json"
)

// RenderREADME builds the chart README: README.in.md with the values table (from the `# --`
// comments) and the metric names table (from a render of the chart) filled in.
func RenderREADME(dir string) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(dir, READMESource))
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	vals, err := ParseValues(data)
	if err != nil {
		return nil, err
	}
	var t strings.Builder
	t.WriteString("| Key | Type | Default | Description |\n|-----|------|---------|-------------|\n")
	for _, v := range vals {
		fmt.Fprintf(&t, "| `%s` | %s | `%s` | %s |\n", v.Path, v.Type, cell(v.Default), cell(v.Description))
	}
	metrics, err := metricsTable(dir)
	if err != nil {
		return nil, err
	}
	text := string(src)
	for marker, content := range map[string]string{markerValues: t.String(), markerMetrics: metrics} {
		if strings.Count(text, marker) != 1 {
			return nil, fmt.Errorf("%s: marker %q must appear exactly once", READMESource, marker)
		}
		text = strings.Replace(text, marker, strings.TrimSuffix(content, "\n"), 1)
	}
	header := "<!-- Code generated by `make chart-template` from README.in.md and values.yaml; DO NOT EDIT. -->\n\n"
	return []byte(header + text), nil
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// metricsTable renders the chart with its defaults and lists, from the Datadog check it
// configures, each metric's name in Prometheus and in Datadog.
func metricsTable(dir string) (string, error) {
	check, err := DatadogCheck(dir, nil)
	if err != nil {
		return "", err
	}
	rc, err := Recipe(dir, nil)
	if err != nil {
		return "", err
	}
	keys := "`" + strings.Join(rc.LabelKeys, "`, `") + "`"
	var b strings.Builder
	b.WriteString("| Prometheus (Argo exports) | Datadog (`argo_workflows` check) | Datadog type | Labels / tags |\n|---|---|---|---|\n")
	for _, m := range check.Metrics {
		labels := keys
		if m.Exported == "argo_workflows_is_leader" {
			labels = "none (controller-level; only the leader exports it)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", m.Exported, "argo_workflows."+m.Name, m.Type, labels)
	}
	return b.String(), nil
}

// Recipe renders the chart with vals and returns its recipe (the template
// batch-monitoring.recipe): the metric names and label keys of its argoMetricsConfig.
func Recipe(dir string, vals map[string]any) (*helmtpl.Recipe, error) {
	const probe = "zz-recipe-probe.yaml"
	res, err := Render(dir, vals, Options{Templates: map[string]string{probe: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: recipe-probe\ndata:\n  recipe: {{ include \"batch-monitoring.recipe\" . | quote }}\n"}})
	if err != nil {
		return nil, err
	}
	for _, o := range res.Objects {
		if strings.HasSuffix(o.Source, "/"+probe) {
			var rc helmtpl.Recipe
			if err := json.Unmarshal([]byte(o.Body["data"].(map[string]any)["recipe"].(string)), &rc); err != nil {
				return nil, fmt.Errorf("batch-monitoring.recipe: %v", err)
			}
			return &rc, nil
		}
	}
	return nil, fmt.Errorf("the recipe probe did not render")
}

// CheckMetric is one entry of the check's extra_metrics (or metrics): the exported name,
// the name under argo_workflows. in Datadog, and the type.
type CheckMetric struct {
	Exported, Name, Type string
}

// Check is the Datadog check configuration the chart renders.
type Check struct {
	Name     string         // argo_workflows or openmetrics
	Instance map[string]any // the single instance
	Metrics  []CheckMetric
}

// DatadogCheck renders the chart with vals (plus the snippets ConfigMap) and decodes its check.
func DatadogCheck(dir string, vals map[string]any) (*Check, error) {
	v := map[string]any{}
	for k, x := range vals {
		v[k] = x
	}
	dd, _ := v["datadog"].(map[string]any)
	if dd == nil {
		dd = map[string]any{}
	}
	dd = copyMap(dd)
	dd["snippets"] = map[string]any{"configMap": true}
	v["datadog"] = dd
	res, err := Render(dir, v, Options{})
	if err != nil {
		return nil, err
	}
	for _, o := range res.OfKind("ConfigMap") {
		if s, err := Path(o.Body, "data", "check.json"); err == nil {
			return ParseCheck(s.(string))
		}
	}
	return nil, fmt.Errorf("no snippets ConfigMap rendered")
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ParseCheck decodes an Autodiscovery check configuration {"<check>": {"init_config": {},
// "instances": [one]}}.
func ParseCheck(s string) (*Check, error) {
	var top map[string]struct {
		InitConfig map[string]any   `json:"init_config"`
		Instances  []map[string]any `json:"instances"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("check configuration is not the expected JSON: %v", err)
	}
	if len(top) != 1 {
		return nil, fmt.Errorf("check configuration has %d checks, want 1", len(top))
	}
	c := &Check{}
	for name, cfg := range top {
		c.Name = name
		if cfg.InitConfig == nil || len(cfg.Instances) != 1 {
			return nil, fmt.Errorf("check %s: want init_config and exactly one instance", name)
		}
		c.Instance = cfg.Instances[0]
	}
	key := "extra_metrics"
	if c.Name == "openmetrics" {
		key = "metrics"
	}
	list, ok := c.Instance[key].([]any)
	if !ok {
		return nil, fmt.Errorf("check %s: no %s list", c.Name, key)
	}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, fmt.Errorf("check %s: %s entry %v is not {exported: {name, type}}", c.Name, key, e)
		}
		for exported, spec := range m {
			sm, _ := spec.(map[string]any)
			name, _ := sm["name"].(string)
			typ, _ := sm["type"].(string)
			if name == "" || typ == "" {
				return nil, fmt.Errorf("check %s: %s entry %s lacks name or type", c.Name, key, exported)
			}
			c.Metrics = append(c.Metrics, CheckMetric{Exported: exported, Name: name, Type: typ})
		}
	}
	return c, nil
}

// SyncSchema returns values.schema.json with the description of every documented value set
// from its `# --` comment. Key order and everything else are kept.
func SyncSchema(schema []byte, vals []Value) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(schema, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", SchemaFile, err)
	}
	root := doc.Content[0]
	for _, v := range vals {
		n, err := schemaNode(root, v.Path)
		if err != nil {
			return nil, err
		}
		setKey(n, "description", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.Description})
	}
	var b bytes.Buffer
	writeJSON(&b, root, 0)
	b.WriteString("\n")
	return b.Bytes(), nil
}

// ConfigSchemaFile is the ArgoMetricsConfig's JSON Schema, relative to the repository root.
const ConfigSchemaFile = "schema/argometricsconfig.schema.json"

// EmbedConfigSchema returns values.schema.json with the schema of argoMetricsConfig made from the
// ArgoMetricsConfig's own schema (its definitions under "definitions", prefixed, as the values
// schema is draft-07), so the chart refuses what the loader's schema refuses. The description
// stays the values comment's (SyncSchema).
func EmbedConfigSchema(values, configSchema []byte) ([]byte, error) {
	var cdoc yaml.Node
	if err := yaml.Unmarshal(configSchema, &cdoc); err != nil {
		return nil, fmt.Errorf("%s: %v", ConfigSchemaFile, err)
	}
	cs := cdoc.Content[0]
	var rewrite func(n *yaml.Node)
	rewrite = func(n *yaml.Node) {
		for i := 0; i < len(n.Content); i++ {
			c := n.Content[i]
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "$ref" && strings.HasPrefix(n.Content[i+1].Value, "#/$defs/") {
				n.Content[i+1].Value = "#/definitions/argoMetricsConfig." + strings.TrimPrefix(n.Content[i+1].Value, "#/$defs/")
			}
			rewrite(c)
		}
	}
	rewrite(cs)
	defs := mapValue(cs, "$defs")
	embedded := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i < len(cs.Content); i += 2 {
		switch cs.Content[i].Value {
		case "$schema", "$id", "title", "$defs":
		default:
			embedded.Content = append(embedded.Content, cs.Content[i], cs.Content[i+1])
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", SchemaFile, err)
	}
	root := doc.Content[0]
	props := mapValue(root, "properties")
	if props == nil {
		return nil, fmt.Errorf("%s: no properties", SchemaFile)
	}
	if old := mapValue(props, "argoMetricsConfig"); old != nil {
		if d := mapValue(old, "description"); d != nil {
			setKey(embedded, "description", d)
		}
	}
	setKey(props, "argoMetricsConfig", embedded)
	definitions := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; defs != nil && i < len(defs.Content); i += 2 {
		k := *defs.Content[i]
		k.Value = "argoMetricsConfig." + k.Value
		definitions.Content = append(definitions.Content, &k, defs.Content[i+1])
	}
	setKey(root, "definitions", definitions)
	var b bytes.Buffer
	writeJSON(&b, root, 0)
	b.WriteString("\n")
	return b.Bytes(), nil
}

// schemaNode finds the schema of a dotted values path through "properties".
func schemaNode(root *yaml.Node, path string) (*yaml.Node, error) {
	n := root
	for _, part := range strings.Split(path, ".") {
		props := mapValue(n, "properties")
		if props == nil || mapValue(props, part) == nil {
			return nil, fmt.Errorf("%s: no schema for %s (at %q)", SchemaFile, path, part)
		}
		n = mapValue(props, part)
	}
	return n, nil
}

// SchemaPaths lists the dotted paths of every property the schema declares, following
// "properties" only (not additionalProperties, whose keys are free).
func SchemaPaths(schema []byte) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(schema, &doc); err != nil {
		return nil, err
	}
	var out []string
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		props := mapValue(n, "properties")
		if props == nil {
			return
		}
		for i := 0; i < len(props.Content); i += 2 {
			p := prefix + props.Content[i].Value
			if mapValue(props.Content[i+1], "properties") != nil && !Verbatim[p] {
				walk(props.Content[i+1], p+".")
			} else {
				out = append(out, p)
			}
		}
	}
	walk(doc.Content[0], "")
	sort.Strings(out)
	return out, nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// setKey sets key in mapping n, in place when present, else right after "type" (or first).
func setKey(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	at := 0
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			at = i + 2
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	n.Content = append(n.Content[:at], append([]*yaml.Node{k, v}, n.Content[at:]...)...)
}

// writeJSON writes a node parsed from JSON back as JSON, two-space indented; lists of scalars
// stay on one line.
func writeJSON(b *bytes.Buffer, n *yaml.Node, indent int) {
	pad := strings.Repeat("  ", indent+1)
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i := 0; i < len(n.Content); i += 2 {
			b.WriteString(pad + jsonString(n.Content[i].Value) + ": ")
			writeJSON(b, n.Content[i+1], indent+1)
			if i+2 < len(n.Content) {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(strings.Repeat("  ", indent) + "}")
	case yaml.SequenceNode:
		scalars := true
		for _, c := range n.Content {
			scalars = scalars && c.Kind == yaml.ScalarNode
		}
		if scalars {
			parts := make([]string, len(n.Content))
			for i, c := range n.Content {
				var cb bytes.Buffer
				writeJSON(&cb, c, 0)
				parts[i] = cb.String()
			}
			b.WriteString("[" + strings.Join(parts, ", ") + "]")
			return
		}
		b.WriteString("[\n")
		for i, c := range n.Content {
			b.WriteString(pad)
			writeJSON(b, c, indent+1)
			if i+1 < len(n.Content) {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(strings.Repeat("  ", indent) + "]")
	default:
		switch n.ShortTag() {
		case "!!str":
			b.WriteString(jsonString(n.Value))
		default: // numbers, booleans, null: as written
			b.WriteString(n.Value)
		}
	}
}

// jsonString encodes s as a JSON string without HTML escaping (descriptions mention <names>).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
