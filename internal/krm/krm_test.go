package krm_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

var update = flag.Bool("update", false, "rewrite expected files")

// TestFunction runs testdata/<case>/input.yaml (a ResourceList) through the function, as
// Kustomize and kpt do, and compares with expected.yaml or errors.txt.
func TestFunction(t *testing.T) {
	checker := frameworktestutil.ProcessorResultsChecker{
		Processor:                func() framework.ResourceListProcessor { return krm.Processor() },
		UpdateExpectedFromActual: *update,
		OutputAssertionFunc:      frameworktestutil.RequireStrippedStringsEqual,
		ErrorAssertionFunc:       frameworktestutil.RequireStrippedStringsEqual,
	}
	checker.Assert(t)
}

// TestErrorLeavesItemsUnchanged: when one item fails, no other item may have been changed, or a
// failing build would still half-apply the function under kpt.
func TestErrorLeavesItemsUnchanged(t *testing.T) {
	input, err := os.ReadFile("testdata/conflict-leaves-items/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: &out, KeepReaderAnnotations: true}
	if err := framework.Execute(krm.Processor(), rw); err == nil {
		t.Fatal("expected an error")
	}
	rl, err := kyaml.Parse(out.String())
	if err != nil {
		t.Fatal(err)
	}
	items, err := rl.Pipe(kyaml.Lookup("items"))
	if err != nil || items == nil {
		t.Fatalf("no items in output: %v\n%s", err, out.String())
	}
	elems, _ := items.Elements()
	if len(elems) != 2 {
		t.Fatalf("got %d items, want every item back (2)", len(elems))
	}
	for _, it := range elems {
		if m, _ := it.Pipe(kyaml.Lookup("spec", "workflowSpec", "metrics", "prometheus")); it.GetName() == "fine" && m != nil {
			t.Errorf("item %q was changed although the run failed:\n%s", it.GetName(), it.MustString())
		}
		if _, ok := it.GetAnnotations()["argo-metrics-gen.io/managed-metrics"]; ok {
			t.Errorf("item %q carries our annotation although the run failed", it.GetName())
		}
	}
	if !strings.Contains(out.String(), "severity: error") {
		t.Errorf("no error result in output:\n%s", out.String())
	}
}
