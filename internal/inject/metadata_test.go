package inject_test

import (
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestAnnotationsFirstInMetadata: metadata whose first key is annotations (as kubectl's
// last-applied output and sorted-key tools write it) gets the managed annotation in that
// mapping, beside the user's, not a second annotations key.
func TestAnnotationsFirstInMetadata(t *testing.T) {
	src := "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  annotations:\n    owner: data\n  name: sorted\n  namespace: batch\nspec:\n  schedule: \"0 0 * * *\"\n  workflowSpec:\n    entrypoint: main\n    templates:\n      - name: main\n        container:\n          image: alpine:3.20\n"
	res, err := (&inject.Injector{Config: config.Default()}).Stream([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out := res.Bytes()
	doc, err := inject.ParseDocument(out)
	if err != nil {
		t.Fatalf("output does not read back: %v\n%s", err, out)
	}
	md := lookupPath(doc.Content[0], "metadata")
	var n int
	for i := 0; i < len(md.Content); i += 2 {
		if md.Content[i].Value == "annotations" {
			n++
		}
	}
	ann := lookupPath(md, "annotations")
	if n != 1 || lookupPath(ann, "owner") == nil || lookupPath(ann, config.AnnotationManaged) == nil {
		t.Errorf("want one annotations mapping with owner and %s:\n%s", config.AnnotationManaged, out)
	}
}
