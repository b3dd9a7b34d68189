package recipe_test

import (
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/recipe"
)

// TestPlainSafeEdges: the first and last character of each allowed range may start (letters)
// or continue (digits, '.', '/', '-') a plain name; the characters just outside may not, and a
// five-letter YAML 1.1 word ("false") is as ambiguous as a shorter one.
func TestPlainSafeEdges(t *testing.T) {
	for v, want := range map[string]bool{
		"alpha": true, "zulu": true, "Alpha": true, "Zulu": true, "_": true,
		"x0": true, "x9": true, "x.": true, "x/": true, "x-": true,
		"`x": false, "{x": false, "@x": false, "[x": false, "x@": false, "x[": false, "x:": false, "x`": false, "x{": false,
		"0x": false, "9x": false, ".x": false, "/x": false,
		"false": false, "FALSE": false, "falsey": true,
	} {
		if got := recipe.PlainSafe(v); got != want {
			t.Errorf("PlainSafe(%q) = %v, want %v", v, got, want)
		}
	}
}
