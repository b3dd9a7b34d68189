// Package chart renders and documents the batch-monitoring Helm chart with the Helm SDK: the
// chart's tests live here (not inside charts/, so `helm package` stays clean), and so do the
// generators of the chart README, the schema descriptions and the Kustomize components
// (cmd: internal/chart/chartgen, run by `make chart-template`).
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"
)

// Dir is the chart's directory relative to the repository root.
const Dir = "charts/batch-monitoring"

// Options of one render.
type Options struct {
	ReleaseName string   // default "batch-monitoring"
	Namespace   string   // default "monitoring"
	APIVersions []string // served APIs beyond the core ones, e.g. "datadoghq.com/v1alpha1/DatadogMonitor"
	KubeVersion string   // default: Helm's default
	// Templates are added to the chart's templates for this render (name under templates/ ->
	// text): a way to read a named template's output, e.g. the recipe.
	Templates map[string]string
}

// Object is one rendered Kubernetes object.
type Object struct {
	Source     string // template file, e.g. batch-monitoring/templates/gmp.yaml
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	Body       map[string]any // the object, decoded
	Text       string         // the document as rendered
}

// Result of a render.
type Result struct {
	Objects  []Object
	Notes    string
	Manifest string
}

// Kinds returns "Kind" -> count.
func (r *Result) Kinds() map[string]int {
	m := map[string]int{}
	for _, o := range r.Objects {
		m[o.Kind]++
	}
	return m
}

// OfKind returns the objects of a kind.
func (r *Result) OfKind(kind string) []Object {
	var out []Object
	for _, o := range r.Objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// Render renders the chart in dir (a directory or a packaged .tgz) with vals exactly as `helm template` does (client-only
// install, dry run): values are checked against values.schema.json, NOTES.txt is rendered.
func Render(dir string, vals map[string]any, o Options) (*Result, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	for name, text := range o.Templates {
		ch.Templates = append(ch.Templates, &helmchart.File{Name: "templates/" + name, Data: []byte(text)})
	}
	in := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	in.DryRun, in.ClientOnly, in.Replace, in.IncludeCRDs = true, true, true, false
	in.ReleaseName = o.ReleaseName
	if in.ReleaseName == "" {
		in.ReleaseName = "batch-monitoring"
	}
	in.Namespace = o.Namespace
	if in.Namespace == "" {
		in.Namespace = "monitoring"
	}
	in.APIVersions = chartutil.VersionSet(o.APIVersions)
	if o.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(o.KubeVersion)
		if err != nil {
			return nil, err
		}
		in.KubeVersion = kv
	}
	if vals == nil {
		vals = map[string]any{}
	}
	rel, err := in.Run(ch, vals)
	if err != nil {
		return nil, err
	}
	res := &Result{Manifest: rel.Manifest}
	if rel.Info != nil {
		res.Notes = rel.Info.Notes
	}
	res.Objects, err = SplitManifest(rel.Manifest)
	return res, err
}

// SplitManifest cuts a rendered manifest into objects, keeping each one's "# Source:" file.
func SplitManifest(manifest string) ([]Object, error) {
	var out []Object
	for _, doc := range strings.Split(manifest, "\n---") {
		doc = strings.TrimPrefix(strings.TrimSpace(doc), "---")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o Object
		o.Text = doc
		if first, _, _ := strings.Cut(strings.TrimSpace(doc), "\n"); strings.HasPrefix(first, "# Source: ") {
			o.Source = strings.TrimPrefix(first, "# Source: ")
		}
		if err := yaml.Unmarshal([]byte(doc), &o.Body); err != nil {
			return nil, fmt.Errorf("%s: %v\n%s", o.Source, err, doc)
		}
		if o.Body == nil {
			continue
		}
		o.APIVersion, _ = o.Body["apiVersion"].(string)
		o.Kind, _ = o.Body["kind"].(string)
		if md, ok := o.Body["metadata"].(map[string]any); ok {
			o.Name, _ = md["name"].(string)
			o.Namespace, _ = md["namespace"].(string)
		}
		out = append(out, o)
	}
	return out, nil
}

// Values returns the values a render of the chart in dir with vals sees: vals over the chart's
// values.yaml, as Helm coalesces them.
func Values(dir string, vals map[string]any) (map[string]any, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return chartutil.CoalesceValues(ch, vals)
}

// Package writes the chart in dir as `helm package` does into dest and returns the archive's path.
func Package(dir, dest string) (string, error) {
	p := action.NewPackage()
	p.Destination = dest
	return p.Run(dir, nil)
}

// ValuesFile reads a values file (a ci/ scenario).
func ValuesFile(path string) (map[string]any, error) {
	v, err := chartutil.ReadValuesFile(path)
	if err != nil {
		return nil, err
	}
	return v.AsMap(), nil
}

// Lint runs Helm's linter on the chart with vals, strictly (warnings fail) as
// `helm lint --strict` does, and returns every message above INFO.
func Lint(dir string, vals map[string]any, namespace string) []string {
	l := action.NewLint()
	l.Strict = true
	l.Namespace = namespace
	res := l.Run([]string{dir}, vals)
	var msgs []string
	for _, m := range res.Messages {
		if m.Severity > support.InfoSev {
			msgs = append(msgs, m.Error())
		}
	}
	for _, err := range res.Errors {
		msgs = append(msgs, err.Error())
	}
	return dedupe(msgs)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Path walks a decoded object: Path(obj, "spec", "template", 0, "name").
func Path(v any, keys ...any) (any, error) {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%q: not a mapping", k)
			}
			if v, ok = m[k]; !ok {
				return nil, fmt.Errorf("%q: missing", k)
			}
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil, fmt.Errorf("[%d]: not a list that long", k)
			}
			v = s[k]
		}
	}
	return v, nil
}

// VersionFile holds the release version, relative to the repository root: the one place the
// binary's version (`make build` stamps v<VERSION>) and the chart's version and appVersion come
// from.
const VersionFile = "VERSION"

var (
	chartVersionRE    = regexp.MustCompile(`(?m)^version: .*$`)
	chartAppVersionRE = regexp.MustCompile(`(?m)^appVersion: .*$`)
)

// VersionedChart returns the chart's Chart.yaml with version <VERSION> and appVersion
// "v<VERSION>", the version string of the binary of that release.
func VersionedChart(root string) ([]byte, error) {
	v, err := os.ReadFile(filepath.Join(root, VersionFile))
	if err != nil {
		return nil, err
	}
	version := strings.TrimSpace(string(v))
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`).MatchString(version) {
		return nil, fmt.Errorf("%s: %q is not a SemVer version", VersionFile, version)
	}
	data, err := os.ReadFile(filepath.Join(root, Dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	if len(chartVersionRE.FindAll(data, -1)) != 1 || len(chartAppVersionRE.FindAll(data, -1)) != 1 {
		return nil, fmt.Errorf("Chart.yaml: want one version and one appVersion line")
	}
	data = chartVersionRE.ReplaceAll(data, []byte("version: "+version))
	return chartAppVersionRE.ReplaceAll(data, []byte(`appVersion: "v`+version+`"`)), nil
}

// WriteIfChanged writes data to path unless it already holds it; it reports whether it wrote.
func WriteIfChanged(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return true, os.WriteFile(path, data, 0o644)
}
