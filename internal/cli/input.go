package cli

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
)

// input is one file (or stdin) to process.
type input struct {
	name string // as shown in messages: the path, or "<stdin>"
	path string // real file to rewrite; empty for stdin
	root string // the argument the file was found under; writes must stay inside it
	data []byte
	mode fs.FileMode
}

// skipped is a file a tree walk left alone because it is not a manifest, and why.
type skipped struct {
	name, reason string
}

const stdinName = "<stdin>"

// manifestExt are the extensions picked up when walking a directory.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// readInputs resolves PATH arguments: files, directories (recursive, lexical order, hidden
// directories skipped) and "-" for stdin. No argument means stdin. A directory walk leaves out
// what is not a manifest (see notManifest) and says so in the second result.
// readAll is io.ReadAll, which grows its buffer step by step (on the 12.7 MB benchmark stream
// ~0.1 s of page faults and copies), except for stdin redirected from a regular file: that is
// read into a buffer of the rest of its size, grown only if the file grew; a bytes.Reader in
// one copy.
func readAll(r io.Reader) ([]byte, error) {
	if b, ok := r.(*bytes.Reader); ok { // the default mode hands over what it read
		data := make([]byte, b.Len())
		_, err := io.ReadFull(b, data)
		return data, err
	}
	f, ok := r.(*os.File)
	if !ok {
		return io.ReadAll(r)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return io.ReadAll(r)
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return io.ReadAll(r)
	}
	return readSized(f, max(st.Size()-pos, 0))
}

// readSized reads f to its end into a buffer of size bytes, grown if f has more.
func readSized(f *os.File, size int64) ([]byte, error) {
	data := make([]byte, 0, size+1) // +1: the read that sees the end
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}

func readInputs(args []string, stdin io.Reader) ([]*input, []skipped, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var out []*input
	var skips []skipped
	stdinUsed := false
	for _, arg := range args {
		if arg == "-" {
			if stdinUsed {
				return nil, nil, fmt.Errorf("stdin (-) given twice")
			}
			stdinUsed = true
			data, err := readAll(stdin)
			if err != nil {
				return nil, nil, fmt.Errorf("reading stdin: %w", err)
			}
			out = append(out, &input{name: stdinName, data: data})
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			in, err := readFile(arg, filepath.Dir(arg))
			if err != nil {
				return nil, nil, err
			}
			out = append(out, in)
			continue
		}
		patches := map[string]string{} // patch file -> the kustomization that lists it
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				for _, k := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
					for _, patch := range kustomizePatches(filepath.Join(p, k)) {
						patches[filepath.Join(p, patch)] = filepath.Join(p, k)
					}
				}
				if p != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err == nil {
					skips = append(skips, skipped{p + string(filepath.Separator), "a Helm chart (Chart.yaml): its templates are not manifests and are left alone; " +
						"inject at render time with the post-renderer (helm template|install --post-renderer argo-metrics-gen) or take the metric block from the batch-monitoring chart's values"})
					return filepath.SkipDir
				}
				return nil
			}
			if !manifestExt[strings.ToLower(filepath.Ext(p))] {
				return nil
			}
			in, err := readFile(p, arg)
			if err != nil {
				return err
			}
			if k, ok := patches[p]; ok {
				skips = append(skips, skipped{p, "a Kustomize patch (listed in " + k + "), not a whole manifest; run the function in that kustomization's build instead"})
				return nil
			}
			if why := notManifest(d.Name(), in.data); why != "" {
				skips = append(skips, skipped{p, why})
				return nil
			}
			out = append(out, in)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return out, skips, nil
}

// kustomizePatches lists the local patch files a kustomization names (patches[].path,
// patchesStrategicMerge, patchesJson6902[].path): fragments of resources, not manifests.
func kustomizePatches(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var k struct {
		Patches               []struct{ Path string } `yaml:"patches"`
		PatchesStrategicMerge []string                `yaml:"patchesStrategicMerge"`
		PatchesJSON6902       []struct{ Path string } `yaml:"patchesJson6902"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	var out []string
	for _, p := range k.Patches {
		out = append(out, p.Path)
	}
	for _, p := range k.PatchesJSON6902 {
		out = append(out, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		if !strings.Contains(p, "\n") { // an inline patch, not a file
			out = append(out, p)
		}
	}
	var clean []string
	for _, p := range out {
		if p != "" && !filepath.IsAbs(p) {
			clean = append(clean, filepath.Clean(p))
		}
	}
	return clean
}

// notManifest says why a file found in a tree walk is not a manifest to process, or "".
// Kustomization and Helm values files configure tools; a file with Helm template actions is
// a template (rewriting it would add {{workflow.*}}, which Helm reads as its own actions).
func notManifest(base string, data []byte) string {
	lower := strings.ToLower(base)
	stem := strings.TrimSuffix(lower, filepath.Ext(lower))
	switch {
	case stem == "kustomization":
		return "a Kustomize kustomization file, not a manifest"
	case stem == "values" || strings.HasPrefix(stem, "values-") || strings.HasPrefix(stem, "values.") || strings.HasSuffix(stem, ".values") || strings.HasSuffix(stem, "-values"):
		return "a Helm values file, not a manifest"
	}
	if line, action := helmTemplate(data); line > 0 {
		return fmt.Sprintf("an unrendered Helm template (line %d: %s): render it first (helm template) or inject with the post-renderer", line, action)
	}
	return ""
}

// helmActionRE matches a Helm (Go template) action. Argo's own {{workflow.name}},
// {{inputs.parameters.x}} and {{=expr}} do not start with ".", "$", "-", a comment or a
// template keyword or function.
var helmActionRE = regexp.MustCompile(`\{\{-?\s*(\.[A-Za-z$]|\$|/\*|(include|template|if|else|end|range|with|define|block|toYaml|tpl|printf|print|quote|default|required|lookup|fromYaml|nindent|indent)\b|` + "`" + `)|-\}\}`)

// helmAction returns the line and text of the first Helm template action in data, or 0.
func helmAction(data []byte) (int, string) {
	loc := helmActionRE.FindIndex(data)
	if loc == nil {
		return 0, ""
	}
	return lineAndText(data, loc[0])
}

func lineAndText(data []byte, off int) (int, string) {
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	end := bytes.IndexByte(data[off:], '\n')
	if end < 0 {
		end = len(data) - off
	}
	text := strings.TrimSpace(string(data[start : off+end]))
	if len(text) > 60 {
		text = text[:60] + "..."
	}
	return bytes.Count(data[:off], []byte("\n")) + 1, text
}

// helmTemplate returns where data shows itself to be an unrendered Helm template, or 0. Go
// template text also survives rendering inside string values (Alertmanager and Prometheus rule
// templates, for one), so an action alone is not enough: the file must not parse as YAML, or
// an action must stand at the start of a line (control flow such as {{- if }}), or sit in what
// identifies an Argo object (metadata, schedules, time zone).
func helmTemplate(data []byte) (int, string) {
	first, _ := helmAction(data)
	if first == 0 {
		return 0, ""
	}
	for _, loc := range helmActionRE.FindAllIndex(data, -1) {
		if loc[0] == 0 || data[loc[0]-1] == '\n' {
			return lineAndText(data, loc[0])
		}
	}
	for _, c := range inject.Split(data) {
		doc, err := inject.ParseDocument(bytes.TrimPrefix(c.Text, []byte("\xef\xbb\xbf")))
		if err != nil {
			return helmAction(data)
		}
		if doc == nil || len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if line := mappingKey(root); line > 0 {
			return lineAndText(data, lineOffset(data, line+c.Line-1))
		}
		if v := manifest.Lookup(root, "apiVersion"); v == nil || !strings.HasPrefix(v.Value, "argoproj.io/") {
			continue
		}
		for _, n := range []*yaml.Node{manifest.Lookup(root, "metadata"), manifest.Lookup(root, "spec", "schedule"),
			manifest.Lookup(root, "spec", "schedules"), manifest.Lookup(root, "spec", "timezone")} {
			if line := actionIn(n); line > 0 {
				return lineAndText(data, lineOffset(data, line+c.Line-1))
			}
		}
	}
	return 0, ""
}

// actionIn returns the line of the first scalar under n holding a Helm action, or 0.
func actionIn(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.ScalarNode && helmActionRE.MatchString(n.Value) {
		return n.Line
	}
	for _, c := range n.Content {
		if l := actionIn(c); l > 0 {
			return l
		}
	}
	return 0
}

// mappingKey returns the line of the first mapping used as a mapping key, or 0: how an
// unquoted {{ .Release.Name }} reads, and never what a rendered manifest holds.
func mappingKey(n *yaml.Node) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.MappingNode && k.Style&yaml.FlowStyle != 0 {
				return k.Line
			}
		}
	}
	for _, c := range n.Content {
		if l := mappingKey(c); l > 0 {
			return l
		}
	}
	return 0
}

func lineOffset(data []byte, line int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return off
}

func readFile(p, root string) (*input, error) {
	info, err := os.Stat(p) // follows a symlink: its target's mode is what we keep
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return &input{name: p, path: p, root: root, data: data, mode: info.Mode().Perm()}, nil
}

// writeTarget returns the file to replace for p: p itself, or the target of a symlink when it
// stays inside root. A link leading out of the tree is refused rather than followed.
func writeTarget(p, root string) (string, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return p, nil
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(realRoot, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: refusing to rewrite a symlink that leads outside %s (to %s)", p, root, target)
	}
	return target, nil
}

// writeAtomic replaces path with data: a temporary file in the same directory, the original
// mode, then a rename, so readers never see a half-written file.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	cleanup := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return cleanup(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// inputError names the file in err and, when the file is an unrendered Helm template, says so:
// that is the likely cause of whatever the parser or the planner tripped on.
func inputError(err error, in *input) error {
	err = withFile(err, in.name)
	if line, action := helmTemplate(in.data); line > 0 && !strings.Contains(err.Error(), "helm template") {
		return fmt.Errorf("%w (the file looks like an unrendered Helm template, line %d: %s; render it first with helm template, or inject with the post-renderer)", err, line, action)
	}
	return err
}

// reportSkips tells which files a tree walk left alone.
func reportSkips(env Env, skips []skipped) {
	for _, s := range skips {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %s: skipped, %s\n", s.name, s.reason)
	}
}

// reportFailures prints every file's error and the total: the exit status of a run with errors.
func reportFailures(env Env, errs []error, wrote string) int {
	for _, err := range errs {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
	}
	if len(errs) > 1 || wrote != "" {
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %d file(s) failed%s\n", len(errs), wrote)
	}
	return ExitError
}
