package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/yamlerr"
)

// ValuesKey is the key of the batch-monitoring chart's values that holds the ArgoMetricsConfig:
// a values file given as the configuration is read from there, so the chart and the injector
// read one file.
const ValuesKey = "argoMetricsConfig"

// LoadFile reads a configuration file: an ArgoMetricsConfig, or a values file of the
// batch-monitoring chart (a mapping with neither apiVersion nor kind), whose argoMetricsConfig
// it reads as Helm would merge it over the chart's defaults. Errors are prefixed with the file
// name.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return c, nil
}

// Parse reads a configuration document. Errors start with "LINE: " so callers can prefix a
// file name ("config.yaml:LINE: field: problem").
func Parse(data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("1: empty configuration")
		}
		line, msg := yamlerr.Locate(err, data)
		return nil, fmt.Errorf("%d: invalid YAML: %s", max(line, 1), msg)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%d: configuration must be a single document", max(extra.Line, 1))
	}
	root := &doc
	if len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if root.Kind == yaml.MappingNode && mappingValue(root, "apiVersion") == nil && mappingValue(root, "kind") == nil {
		return fromValues(root)
	}
	return FromNode(&doc)
}

// fromValues reads the ArgoMetricsConfig of a chart values file. Helm merges the file over the
// chart's values.yaml, whose argoMetricsConfig has apiVersion and kind and an empty spec: so a
// values file may leave them out, and one without the key configures the defaults.
func fromValues(root *yaml.Node) (*Config, error) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Value == ValuesKey && mappingValue(root, ValuesKey) != root.Content[i+1] {
			return nil, fmt.Errorf("%d: %s: duplicate key", k.Line, ValuesKey)
		}
	}
	n := mappingValue(root, ValuesKey)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return Default(), nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%d: %s: expected a mapping, got %s", n.Line, ValuesKey, describe(n))
	}
	c, err := fromNode(n, true)
	if err != nil {
		line, msg, _ := strings.Cut(err.Error(), ": ")
		return nil, fmt.Errorf("%s: %s.%s", line, ValuesKey, msg)
	}
	return c, nil
}

// FromNode reads a configuration from a parsed node (a document or its root mapping), as a
// KRM function receives it in functionConfig.
func FromNode(n *yaml.Node) (*Config, error) {
	return fromNode(n, false)
}

// fromNode is FromNode; implied: apiVersion and kind may be left out (a chart values file).
func fromNode(n *yaml.Node, implied bool) (*Config, error) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	// Identify the object first: a wrong file is better reported as such than field by field.
	for _, f := range []struct{ key, want string }{{"apiVersion", APIVersion}, {"kind", Kind}} {
		if v := mappingValue(n, f.key); (v == nil && !implied) || (v != nil && v.Value != f.want) {
			got, line := "", n.Line
			if v != nil {
				got, line = v.Value, v.Line
			}
			return nil, fmt.Errorf("%d: %s: must be %q, got %q", line, f.key, f.want, got)
		}
	}
	if err := checkShape(n, reflect.TypeOf(Config{}), ""); err != nil {
		return nil, err
	}
	c := Config{APIVersion: APIVersion, Kind: Kind}
	if err := n.Decode(&c); err != nil {
		return nil, fmt.Errorf("%d: %v", n.Line, err)
	}
	if err := c.Complete(); err != nil {
		return nil, fmt.Errorf("%d: %w", lineOf(n, err), err)
	}
	return &c, nil
}

// lineOf finds the line of the field an error from Complete names, falling back to the
// document's first line.
func lineOf(root *yaml.Node, err error) int {
	path, _, _ := strings.Cut(err.Error(), ":")
	n := root
	for _, part := range strings.Split(path, ".") {
		idx := -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			fmt.Sscanf(part[i:], "[%d]", &idx)
			part = part[:i]
		}
		next := mappingValue(n, part)
		if next == nil {
			break
		}
		n = next
		if idx >= 0 && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
			n = n.Content[idx]
		}
	}
	return n.Line
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// checkShape walks the YAML alongside the Go type and refuses unknown fields, duplicate keys
// and wrong types, naming the field path and line.
func checkShape(n *yaml.Node, t reflect.Type, path string) error {
	at := func(format string, args ...any) error {
		name := path
		if name == "" {
			name = "(root)"
		}
		return fmt.Errorf("%d: %s: %s", n.Line, name, fmt.Sprintf(format, args...))
	}
	if n.Kind == yaml.AliasNode {
		return at("aliases are not supported in the configuration")
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // an empty field means "default"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return at("expected a mapping, got %s", describe(n))
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			fields[name] = f.Type
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%d: %s: unknown field (known fields: %s)", k.Line, child, strings.Join(sortedFieldNames(fields), ", "))
			}
			if seen[k.Value] {
				return fmt.Errorf("%d: %s: duplicate field", k.Line, child)
			}
			seen[k.Value] = true
			if err := checkShape(v, ft, child); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return at("expected a mapping, got %s", describe(n))
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				return fmt.Errorf("%d: %s: duplicate key", k.Line, join(path, k.Value))
			}
			seen[k.Value] = true
			if err := checkShape(v, t.Elem(), join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return at("expected a list, got %s", describe(n))
		}
		for i, item := range n.Content {
			if err := checkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return at("expected a string, got %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return at("expected true or false, got %s", describe(n))
		}
	case reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return at("expected a whole number, got %s", describe(n))
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			return at("expected a number, got %s", describe(n))
		}
	default:
		return at("unsupported field type %s", t)
	}
	return nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
	}
	return "an alias"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedFieldNames(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
