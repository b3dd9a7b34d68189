package krm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

// FuzzResourceList: the function never panics, and when it succeeds it returns as many items as
// it was given, and running it again on its own output changes no item. The byte path (Bytes)
// succeeds only where kyaml's framework does, and then returns what it returns.
func FuzzResourceList(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/input.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	// Layouts that cut by lines could get wrong: a dash or "items:" inside a scalar, indented
	// dashes, comments between items, no newline at the end, items after functionConfig.
	head := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
	cw := "apiVersion: argoproj.io/v1alpha1\n  kind: CronWorkflow\n  metadata:\n    name: j\n  spec:\n    schedule: 0 3 * * *\n    workflowSpec:\n      entrypoint: main\n"
	for _, s := range []string{
		head + "items:\n- " + cw + "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n  data:\n    a: \"x\n- apiVersion: v1\n  kind: Secret\n    y\"\n",
		head + "items:\n  - " + strings.ReplaceAll(cw, "\n  ", "\n    ") + "  # between\n# at column 0\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: c\n",
		head + "items: # the items\n- " + strings.TrimSuffix(cw, "\n"),
		head + "functionConfig:\n  apiVersion: argo-metrics-gen.io/v1alpha1\n  kind: ArgoMetricsConfig\n  metadata: {name: m}\nitems:\n- " + cw,
		head + "items:\n- " + cw + "  note: |\n    items:\n    - x\nfunctionConfig: {}\n",
		head + "items:\n- " + cw + "functionConfig:\n  note: \"\nitems:\n- a\"\n",
		head + "items:\n- " + cw + "-\n  apiVersion: v1\n",
		head + "items:\n- &a " + cw + "- *a\n",
		head + "items:\n- " + cw + "results:\n- message: old\n  severity: info\n",
		head + "items:\nmetadata: 0", // the framework refuses it: the byte path must decline
		head + "metadata: {name: rl}\nitems:\n- " + cw,
		head + "items:\n- metadata: 0",                                                               // the framework's reader refuses it: the byte path must decline
		head + "items:\n- metadata:\n    annotations:\n      config.kubernetes.io/path:\n      #000", // kyaml loses the comment, the byte path keeps it
		head + "items:\n- metadata: ~\n- metadata: {annotations: 0}\n- metadata: !!map {}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out, KeepReaderAnnotations: true}
		reader := &kio.ByteReadWriter{Reader: bytes.NewReader(data)}
		items, readErr := reader.Read()
		pieces, bytesOK := krm.Bytes(bytes.Clone(data))
		if err := framework.Execute(krm.Processor(), rw); err != nil || readErr != nil {
			if bytesOK {
				t.Fatalf("byte path succeeded where the framework fails:\n%s", bytes.Join(pieces, nil))
			}
			return
		}
		if bytesOK {
			// Comments are not compared: the byte path keeps each where it was in the text; kyaml
			// attaches them to nodes, writes them elsewhere, or loses one after an empty value at
			// the end of the list.
			if got, want := uncommented(t, bytes.Join(pieces, nil)), uncommented(t, out.Bytes()); got != want {
				t.Fatalf("byte path and framework differ:\n%s", lineDiff(got, want))
			}
		}
		again := &kio.ByteReadWriter{Reader: bytes.NewReader(out.Bytes())}
		outItems, err := again.Read()
		if err != nil {
			t.Fatalf("output does not read back: %v\n%s", err, out.String())
		}
		if len(items) != len(outItems) {
			t.Fatalf("%d items in, %d out", len(items), len(outItems))
		}
		var second bytes.Buffer
		if err := framework.Execute(krm.Processor(), &kio.ByteReadWriter{Reader: bytes.NewReader(out.Bytes()), Writer: &second, KeepReaderAnnotations: true}); err != nil {
			t.Fatalf("second run failed: %v", err)
		}
		if bytes.Contains(second.Bytes(), []byte(": injected'")) || bytes.Contains(second.Bytes(), []byte(": updated'")) {
			t.Fatalf("second run changed items:\n%s", second.String())
		}
	})
}

func uncommented(t *testing.T, data []byte) string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(normalized(t, data)), &n); err != nil {
		t.Fatal(err)
	}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
