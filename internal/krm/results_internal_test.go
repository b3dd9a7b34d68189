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
