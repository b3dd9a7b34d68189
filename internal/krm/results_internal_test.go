package krm

import (
	"bytes"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// frameworkResults is what kyaml's framework does with the results: marshal, parse, set under
// a results key, write.
func frameworkResults(t testing.TB, res framework.Results) []byte {
	b, err := kyaml.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := kyaml.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	m := kyaml.NewMapRNode(nil)
	if err := m.PipeE(kyaml.SetField("results", seq)); err != nil {
		t.Fatal(err)
	}
	s, err := m.String()
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

func sampleResults(msg, name, path string, index int) framework.Results {
	return framework.Results{
		{Message: msg, Severity: framework.Info, ResourceRef: &kyaml.ResourceIdentifier{
			TypeMeta: kyaml.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "CronWorkflow"},
			NameMeta: kyaml.NameMeta{Name: name, Namespace: "team-" + name}},
			File: &framework.File{Path: path, Index: index}},
		{Message: msg + " (skipped)", Severity: framework.Warning, ResourceRef: &kyaml.ResourceIdentifier{NameMeta: kyaml.NameMeta{Name: name}}},
		{Message: "summary: " + msg, Severity: framework.Info, Tags: map[string]string{"injected": "1", msg: name}},
	}
}

// TestResultsTextAsFramework: resultsText writes exactly what the framework's path writes.
func TestResultsTextAsFramework(t *testing.T) {
	for _, msg := range []string{"injected", "true", "1", "", "a: b", "#x", "line\nbreak", "trailing ", " lead", "é", "\"q\"", "'s'",
		"a very long message that goes on past the eighty columns an emitter might fold a plain scalar at, and then some more words",
		"{{workflow.status}}", "null", "~", "- dash", "yes", "0x1F", "1e3", "*alias", "&anchor", "!tag", "%x", "@x", "`x", "x\t y"} {
		res := sampleResults(msg, msg, "dir/"+msg+".yaml", len(msg))
		got, err := resultsText(res)
		if err != nil {
			t.Fatal(err)
		}
		if want := frameworkResults(t, res); !bytes.Equal(got, want) {
			t.Errorf("%q:\ngot:\n%s\nwant:\n%s", msg, got, want)
		}
	}
}

// FuzzResultsText: the same on any strings.
func FuzzResultsText(f *testing.F) {
	f.Add("injected", "job-1", "stream.yaml", 3)
	f.Add("a: b\n c", "", "", 0)
	f.Fuzz(func(t *testing.T, msg, name, path string, index int) {
		res := sampleResults(msg, name, path, index)
		got, err := resultsText(res)
		if err != nil {
			return // invalid UTF-8 and the like: Bytes declines, the framework path runs
		}
		if want := frameworkResults(t, res); !bytes.Equal(got, want) {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	})
}

// fieldResults is a result as the function writes them with s in one of its strings (field 0
// message, 1 apiVersion, 2 kind, 3 name, 4 namespace, 5 path; severity and index vary too), the
// others as Kustomize's items have them.
func fieldResults(field uint8, s string, index int) framework.Results {
	v := []string{"CronWorkflow team-1/etl-0: injected", "argoproj.io/v1alpha1", "CronWorkflow", "etl-0", "team-1", "base/cron.yaml"}
	v[field%6] = s
	sev := []framework.Severity{framework.Info, framework.Warning, framework.Error}[int(field/6)%3]
	return framework.Results{
		{Message: v[0], Severity: sev, ResourceRef: &kyaml.ResourceIdentifier{
			TypeMeta: kyaml.TypeMeta{APIVersion: v[1], Kind: v[2]}, NameMeta: kyaml.NameMeta{Name: v[3], Namespace: v[4]}},
			File: &framework.File{Path: v[5], Index: index}},
		{Message: v[0], ResourceRef: &kyaml.ResourceIdentifier{NameMeta: kyaml.NameMeta{Name: v[3]}}},
		{Message: "argo-metrics-gen: 1 injected, 0 updated, 0 unchanged, 0 skipped", Severity: framework.Info},
	}
}

// awkward are strings on the edge of what the encoder writes plain, single- or double-quoted.
var awkward = []string{"injected", "true", "True", "TRUE", "tRUE", "yes", "Yes", "YES", "yEs", "y", "n", "N", "no", "on", "off", "Off", "null", "Null", "nil",
	"1", "0x1F", "1e3", "1:20", ".inf", "~", "", " ", "a ", " a", "a  b", "a:", "a:b", "a: b", "a :b", "a#b", "a #b", "a# b", "#a", "a\tb", "a\nb", "a\n",
	"'s'", "it's", "a'", "\"q\"", "a\"", "é", "aé", "a\x7f", "a\x00", "a\xff", "- a", "-a", "a-", "? a", "a?", "a[0]", "a{b}", "a,b", "a|b", "a>b", "a!b",
	"a&b", "a*b", "a%b", "a@b", "a`b", "A", "Z", "z", "{{workflow.status}}", "---", "...", "a---", "<<", "CronWorkflow team-1/etl-0: skipped (annotation argo-metrics-gen.io/inject: \"false\")",
	"a very long message that goes on past the eighty columns an emitter might fold a plain scalar at, and then some more words",
	"a-very-long-name-with-no-spaces-that-goes-on-past-the-eighty-columns-an-emitter-might-fold-at-and-more"}

// TestResultsFieldsAsFramework: every awkward string in every field, written as the framework
// writes it.
func TestResultsFieldsAsFramework(t *testing.T) {
	for _, s := range awkward {
		for field := range uint8(18) {
			for _, index := range []int{0, 1, -1, 1 << 40} {
				res := fieldResults(field, s, index)
				got, err := resultsText(res)
				if err != nil {
					continue // invalid UTF-8: Bytes declines
				}
				if want := frameworkResults(t, res); !bytes.Equal(got, want) {
					t.Fatalf("%q in field %d:\ngot:\n%s\nwant:\n%s", s, field, got, want)
				}
			}
		}
	}
}

// TestResultsWrittenDirectly: the results of the items Kustomize and kpt send are written without
// the encoder (a second of the 10,000-item run), and strings whose text the encoder must decide
// are left to it.
func TestResultsWrittenDirectly(t *testing.T) {
	for _, s := range []string{"CronWorkflow team-1/etl-0: injected", "CronWorkflow etl.v2: updated (x)", "CronWorkflow a/b: skipped (annotation argo-metrics-gen.io/inject: \"false\")",
		"it's a #tag", "argoproj.io/v1alpha1", "overlays/prod/cron-workflows.yaml", "zone-1", "Zz", "a~b", "a!\"$%&()*+,-./09;<=>?@[\\]^_`{|}~",
		"tRUE", "a:", "a #b", "a "} {
		for field := range uint8(18) {
			if !direct(fieldResults(field, s, 2)) {
				t.Errorf("%q in field %d: written by the encoder", s, field)
			}
		}
	}
	for _, s := range []string{"true", "NULL", "y", "Off", "1", ".5", "-a", "~", "#a", "'s", "\"q\"", "[a]", "a\tb", "a\nb", "é", "a\x7f"} {
		if direct(fieldResults(3, s, 0)) {
			t.Errorf("%q written without the encoder", s)
		}
	}
	for _, res := range []framework.Results{{{}}, {{Message: "m", ResourceRef: &kyaml.ResourceIdentifier{}}}, {{Message: "m", File: &framework.File{}}},
		{{Message: "m", Tags: map[string]string{"a": "b"}}}, {{Message: "m", Field: &framework.Field{Path: "a"}}}} {
		if _, ok := appendResult(nil, res[0]); ok {
			t.Errorf("%+v written without the encoder", res[0])
		}
		if got, want := mustText(t, res), frameworkResults(t, res); !bytes.Equal(got, want) {
			t.Errorf("%+v:\ngot:\n%s\nwant:\n%s", res, got, want)
		}
	}
}

// direct: every result is written without the encoder.
func direct(res framework.Results) bool {
	for _, r := range res {
		if _, ok := appendResult(nil, r); !ok {
			return false
		}
	}
	return true
}

func mustText(t *testing.T, res framework.Results) []byte {
	b, err := resultsText(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzResultsFields: any string in any field, written as the framework writes it.
func FuzzResultsFields(f *testing.F) {
	for i, s := range awkward {
		f.Add(uint8(i), s, i-3)
	}
	f.Fuzz(func(t *testing.T, field uint8, s string, index int) {
		res := fieldResults(field, s, index)
		got, err := resultsText(res)
		if err != nil {
			return // invalid UTF-8: Bytes declines
		}
		if want := frameworkResults(t, res); !bytes.Equal(got, want) {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	})
}
