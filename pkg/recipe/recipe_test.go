package recipe_test

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// FuzzScalar: whatever string we write, plain or quoted, YAML reads back the same string.
// The injector's verification relies on this for values it does not re-parse.
func FuzzScalar(f *testing.F) {
	for _, s := range []string{"exit_code", "0", "true", "Yes", "{{workflow.namespace}}", "a: b", "x #y", "", "null", "~", "-", "1e3", "0x1F", "é", "\u2028", "a\nb", "\t", `"`, "nightly-report", "team.a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n := recipe.Scalar(v)
		out, err := yaml.Marshal(map[string]*yaml.Node{"k": n})
		if err != nil {
			t.Skip()
		}
		var back map[string]string
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q rendered as %q does not parse: %v", v, out, err)
		}
		if back["k"] != v && isValidUTF8NoNUL(v) {
			t.Fatalf("%q rendered as %q reads back as %q", v, out, back["k"])
		}
		if n.Style == 0 && !recipe.PlainSafe(v) {
			t.Fatalf("%q written plain although not plain-safe", v)
		}
	})
}

func isValidUTF8NoNUL(s string) bool {
	for _, r := range s {
		if r == 0xFFFD || r == 0 {
			return false
		}
	}
	return true
}

func TestPlainSafe(t *testing.T) {
	for v, want := range map[string]bool{
		"exit_code": true, "nightly-report": true, "a.b/c": true, "_x": true,
		"": false, "0": false, "1abc": false, "true": false, "NO": false, "on": false, "y": false,
		"null": false, "Null": false, "a b": false, "a:b": false, "{{x}}": false, "-a": false, "yes_please": true,
	} {
		if got := recipe.PlainSafe(v); got != want {
			t.Errorf("PlainSafe(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestBuild(t *testing.T) {
	c := config.Default()
	ms := recipe.Build(c, "nightly", map[string]string{"tier": "gold", "team": "data"})
	if len(ms) != 4 {
		t.Fatalf("got %d metrics, want 4", len(ms))
	}
	// What each `when` means is TestWhenMeansTheRunsOutcome's: evaluated as the controller does.
	wantValue := []string{"0", "1", "{{workflow.duration}}", "{{workflow.creationTimestamp.s}}"}
	for i, m := range ms {
		if m.Gauge.Value != wantValue[i] {
			t.Errorf("metric %d (%s): when %q value %q", i, m.Name, m.When, m.Gauge.Value)
		}
		keys := ""
		for _, l := range m.Labels {
			keys += l.Key + ","
		}
		if keys != "namespace,cronworkflow,team,tier," {
			t.Errorf("metric %d labels %s: every metric must carry the same keys in the same order", i, keys)
		}
		if m.Labels[1].Value != "nightly" || m.Labels[0].Value != "{{workflow.namespace}}" {
			t.Errorf("metric %d identity labels %v", i, m.Labels)
		}
	}
	if ms[0].Help != ms[1].Help || ms[0].Name != ms[1].Name {
		t.Error("the two exit_code gauges must share name and help")
	}
	for _, w := range []string{recipe.WhenSucceeded, recipe.WhenNotSucceeded} {
		if strings.Contains(w, "exitCode") || !strings.HasPrefix(w, "{{=") || !strings.Contains(w, "'.onExit\\\\\"'") {
			t.Errorf("%q: want an Argo expression on status and the failed exit handler, never exitCode", w)
		}
	}
	if got := recipe.Names(ms); len(got) != 3 || got[0] != "exit_code" {
		t.Errorf("Names = %v", got)
	}
	off := false
	c.Spec.Metrics.Duration.Enabled = &off
	c.Spec.Metrics.LastSuccess.Enabled = &off
	if got := recipe.Build(c, "x", nil); len(got) != 2 {
		t.Errorf("with duration and lastSuccess off: %d metrics, want 2", len(got))
	}
}
