// Package krm is argo-metrics-gen as a Kustomize/kpt KRM function: ResourceList in,
// ResourceList out, every item returned, results saying what changed.
package krm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// Processor returns the KRM function: it reads its ArgoMetricsConfig from functionConfig (an
// empty one means defaults), plans every item before changing any, and reports each change as
// an info result. The binary runs Bytes first and this only where Bytes declines: on errors
// and on layouts Bytes does not cut.
func Processor() framework.ResourceListProcessor { return ProcessorWith(nil) }

// ProcessorWith is Processor with the configuration of --config (a chart values file, given as
// the exec function's args): cfg replaces functionConfig's, which may then carry no spec (nil:
// functionConfig's).
func ProcessorWith(cfg *config.Config) framework.ResourceListProcessor {
	return framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error { return process(rl, cfg) })
}

func process(rl *framework.ResourceList, cfg *config.Config) error {
	fn := rl.FunctionConfig
	given := fn != nil && fn.YNode().Kind != 0 && len(fn.Content()) > 0
	switch {
	case cfg != nil && given && fn.Field("spec") != nil:
		return report(rl, errors.New("functionConfig has a spec and --config gives the configuration too: keep one (the function's args, or its spec)"), nil)
	case cfg == nil && given:
		var err error
		if cfg, err = config.FromNode(fn.YNode()); err != nil {
			return report(rl, fmt.Errorf("functionConfig: line %w", err), nil)
		}
	case cfg == nil:
		cfg = config.Default()
	}
	injector := &inject.Injector{Config: cfg}
	plans := make([]*inject.Plan, len(rl.Items))
	for i, item := range rl.Items {
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{item.YNode()}}
		p, err := injector.PlanTree(doc)
		if err != nil {
			return report(rl, inFile(err, itemFile(item)), item)
		}
		plans[i] = p
	}
	counts := map[inject.Action]int{}
	for i, p := range plans {
		p.Apply()
		rl.Results = appendReports(rl.Results, counts, p.Reports, resourceRef(rl.Items[i]), fileRef(rl.Items[i]))
	}
	rl.Results = append(rl.Results, summary(counts))
	return nil
}

// appendReports counts each report and adds a result for each one that is not Unchanged; both
// the framework path and the byte path report through it, so their results agree.
func appendReports(res framework.Results, counts map[inject.Action]int, reps []inject.Report,
	ref *kyaml.ResourceIdentifier, file *framework.File) framework.Results {
	for _, rep := range reps {
		counts[rep.Action]++
		if rep.Action == inject.Unchanged {
			continue
		}
		msg := fmt.Sprintf("%s: %s", rep.Resource(), rep.Action)
		if rep.Reason != "" {
			msg += " (" + rep.Reason + ")"
		}
		sev := framework.Info
		if rep.Warn {
			sev = framework.Warning
		}
		res = append(res, &framework.Result{Message: msg, Severity: sev, ResourceRef: ref, File: file})
	}
	return res
}

// summary is the run's closing result. It is always there, so the results are this run's:
// kyaml passes the input's results through when a function adds none.
func summary(counts map[inject.Action]int) *framework.Result {
	return &framework.Result{Severity: framework.Info, Message: fmt.Sprintf(
		"argo-metrics-gen: %d injected, %d updated, %d unchanged, %d skipped",
		counts[inject.Injected], counts[inject.Updated], counts[inject.Unchanged], counts[inject.Skipped])}
}

// report turns an error into an error-severity result; returning it makes the function exit
// non-zero, which is the only way a KRM function fails a Kustomize build.
func report(rl *framework.ResourceList, err error, item *kyaml.RNode) error {
	r := &framework.Result{Message: err.Error(), Severity: framework.Error}
	if item != nil {
		r.ResourceRef, r.File = resourceRef(item), fileRef(item)
	}
	rl.Results = append(rl.Results, r)
	return framework.Results{r}
}

func resourceRef(item *kyaml.RNode) *kyaml.ResourceIdentifier {
	return &kyaml.ResourceIdentifier{
		TypeMeta: kyaml.TypeMeta{APIVersion: item.GetApiVersion(), Kind: item.GetKind()},
		NameMeta: kyaml.NameMeta{Name: item.GetName(), Namespace: item.GetNamespace()},
	}
}

func itemFile(item *kyaml.RNode) string {
	p, _, _ := kioutil.GetFileAnnotations(item)
	return p
}

func fileRef(item *kyaml.RNode) *framework.File {
	p, idx, _ := kioutil.GetFileAnnotations(item)
	if p == "" {
		return nil
	}
	f := &framework.File{Path: p}
	fmt.Sscanf(idx, "%d", &f.Index)
	return f
}

// inFile names the item's source file, when Kustomize or kpt recorded it, in the error. Line
// numbers are dropped: they count lines of the ResourceList, not of any file the user has.
func inFile(err error, file string) error {
	var e *inject.Error
	if errors.As(err, &e) {
		c := *e
		c.File, c.Line = file, 0
		return &c
	}
	return err
}

// Execute runs the function (ProcessorWith(cfg)) through kyaml's framework on a ResourceList's
// text and writes the output to w. Before it writes, every item of the output must read back as the item the
// function produced (kyaml's writer restyles items; where it would change one's value, such as
// a folded scalar with more-indented lines, nothing is written and the run fails). On the
// function's own error, the framework's output (the items unchanged, the results) is written.
func Execute(data []byte, cfg *config.Config, w io.Writer) error {
	var want []any
	p := framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		if err := process(rl, cfg); err != nil {
			return err
		}
		for _, item := range rl.Items {
			var v any
			if err := item.YNode().Decode(&v); err != nil {
				return err
			}
			want = append(want, withoutReaderAnnotations(v))
		}
		return nil
	})
	var out bytes.Buffer
	err := framework.Execute(p, &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out, KeepReaderAnnotations: true})
	if err == nil {
		var got struct {
			Items []any `yaml:"items"`
		}
		if uerr := yaml.Unmarshal(out.Bytes(), &got); uerr != nil || len(got.Items) != len(want) {
			return fmt.Errorf("internal error: kyaml's writer lost items (%v); nothing written, please report this input", uerr)
		}
		for i, item := range got.Items {
			if !reflect.DeepEqual(withoutReaderAnnotations(item), want[i]) {
				return fmt.Errorf("kyaml's writer, which writes ResourceLists in this layout, would change the value of item %d (%s); nothing written. Write the list in block style, one \"- \" entry per item, as Kustomize and kpt do, and the function keeps every item's text", i, describe(want[i]))
			}
		}
	}
	if _, werr := w.Write(out.Bytes()); werr != nil && err == nil {
		err = werr
	}
	return err
}

// withoutReaderAnnotations drops the annotations kyaml's reader and writer add or take away.
func withoutReaderAnnotations(v any) any {
	m, _ := v.(map[string]any)
	md, _ := m["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	for k := range ann {
		if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") {
			delete(ann, k)
		}
	}
	if ann != nil && len(ann) == 0 {
		delete(md, "annotations")
	}
	return v
}

func describe(item any) string {
	m, _ := item.(map[string]any)
	md, _ := m["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v", m["kind"], md["name"])
}
