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
		"a comment after items:":          {"# the jobs\n" + layoutItem, "1"},
		"indented items":                  {indent(layoutItem, "  ") + indent(second, "  "), "2"},
		"blank and comment lines":         {layoutItem + "\n   \n# the weekly job\n" + second, "2"},
		"no final line break":             {layoutItem + other, "1"},
		"indented, no final line break":   {indent(layoutItem, "    ") + strings.TrimSuffix(indent(other, "    "), "\n"), "1"},
		"empty functionConfig":            {layoutItem + "functionConfig: {}\n", "1"},
		"a comment after the last item":   {layoutItem + "# end of the jobs\n", "1"},
		"a comment before functionConfig": {layoutItem + "# settings\nfunctionConfig: {}\n", "1"},
		// Results name the item's file from either generation of Kustomize's annotations.
		"current path annotations": {strings.Replace(layoutItem, "  metadata:\n", "  metadata:\n    annotations:\n      internal.config.kubernetes.io/path: cron/a.yaml\n      internal.config.kubernetes.io/index: \"2\"\n", 1), "1"},
		"legacy path annotations":  {strings.Replace(layoutItem, "  metadata:\n", "  metadata:\n    annotations:\n      config.kubernetes.io/path: cron/b.yaml\n      config.kubernetes.io/index: \"3\"\n", 1), "1"},
	} {
		t.Run(name, func(t *testing.T) {
			itemsKey := "items:\n"
			if strings.HasPrefix(tc.items, "#") {
				itemsKey = "items: "
			}
			input := []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + itemsKey + tc.items)
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

// TestBytesDeclines: what the byte path does not cut (no block "items:", a byte-order mark, CR
// line ends, a second document), and items kyaml's reader cannot annotate as they are, it
// leaves to kyaml's framework.
func TestBytesDeclines(t *testing.T) {
	head := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
	for name, input := range map[string]string{
		"flow items": head + "items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]\n",
		// Pipe mode's input reaches the byte path first (Helm's post-renderer with an empty chart).
		"empty input":     "",
		"comments only":   "# a\n  # b\n\n",
		"no items":        head + "functionConfig: {}\n",
		"byte-order mark": "\xef\xbb\xbf" + head + "items:\n" + layoutItem,
		"CR line ends":    strings.ReplaceAll(head+"items:\n"+layoutItem, "\n", "\r\n"),
		"second document": head + "items:\n" + layoutItem + "---\na: 1\n",
		// A document end after the items: the results would land in a document of their own.
		"document end":           head + "items:\n" + layoutItem + "...\n",
		"document end, no break": head + "items:\n" + layoutItem + "...",
		"document end, comment":  head + "items:\n" + layoutItem + "... # end\n",
		"document end, tab":      head + "items:\n" + layoutItem + "...\t\n",
		// kyaml's reader fails on an item whose metadata it cannot annotate, and replaces
		// annotations that are not a mapping.
		"metadata a number":    head + "items:\n" + layoutItem + "- metadata: 0\n",
		"metadata a list":      head + "items:\n- metadata: []\n",
		"metadata null":        head + "items:\n- metadata: ~\n",
		"annotations a number": head + "items:\n- metadata: {name: a, annotations: 0}\n",
	} {
		if _, ok := krm.Bytes([]byte(input)); ok {
			t.Errorf("%s: the byte path took it", name)
		}
	}
}
