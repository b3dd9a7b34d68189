package krm_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

const layoutItem = `- apiVersion: argoproj.io/v1alpha1
  kind: CronWorkflow
  metadata:
    name: nightly
    namespace: batch
  spec:
    schedule: "0 3 * * *"
    workflowSpec:
      entrypoint: main
      templates:
      - name: main
        container: {image: alpine}
`

// TestBytesLayouts: ResourceLists written by hand or by other tools than Kustomize and kpt
// (items indented under "items:", blank or comment lines between items, no final line break)
// still take the byte path, never holding an RNode per item, and give what kyaml's framework
// gives.
func TestBytesLayouts(t *testing.T) {
	indent := func(s, by string) string {
		return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
	}
	second := strings.Replace(layoutItem, "name: nightly", "name: weekly", 1)
	other := "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: params}\n  data: {rows: \"10\"}" // no line break
	for name, tc := range map[string]struct {
		items    string
		injected string
	}{
		"indented items":                {indent(layoutItem, "  ") + indent(second, "  "), "2"},
		"blank and comment lines":       {layoutItem + "\n   \n# the weekly job\n" + second, "2"},
		"no final line break":           {layoutItem + other, "1"},
		"indented, no final line break": {indent(layoutItem, "    ") + strings.TrimSuffix(indent(other, "    "), "\n"), "1"},
	} {
		t.Run(name, func(t *testing.T) {
			input := []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + tc.items)
			want, err := viaFramework(bytes.Clone(input))
			if err != nil {
				t.Fatal(err)
			}
			data := bytes.Clone(input)
			pieces, ok := krm.Bytes(data)
			if !ok {
				t.Fatal("the byte path declined")
			}
			if !bytes.Equal(data, input) {
				t.Error("the input was changed")
			}
			got := bytes.Join(pieces, nil)
			if n, w := normalized(t, got), normalized(t, want); n != w {
				t.Errorf("byte path and framework differ:\n%s", lineDiff(n, w))
			}
			if !bytes.Contains(got, []byte(tc.injected+" injected, 0 updated, 0 unchanged, ")) {
				t.Errorf("summary missing:\n%s", got)
			}
		})
	}
}
