package config_test

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestLabelSelectorPattern: the schemas' pattern for spec.selector.labelSelector accepts exactly
// what Kubernetes' labels.Parse (the loader's check) accepts, on hand-picked selectors and on
// selectors assembled at random from the grammar's pieces, valid and broken.
func TestLabelSelectorPattern(t *testing.T) {
	re := regexp.MustCompile(config.LabelSelectorPattern)
	check := func(sel string) {
		_, err := labels.Parse(sel)
		if got := re.MatchString(sel); got != (err == nil) {
			t.Errorf("%q: pattern says %v, labels.Parse says %v", sel, got, err)
		}
	}
	for _, sel := range []string{"", " ", "a", "!a", "! a", "a=b", "a==b", "a!=b", "a=", "a in (b)", "a in (b, c)", "a notin (b,c)",
		"a in ()", "a in (,)", "a in (b,)", "a>1", "a<-2", "a>1.5", "a>b", "team=data,tier!=dev", "a==b==c", "a,", ",a", "a b",
		"example.com/team=x", "Example.com/team=x", "-a=b", "a=-b", "a in(b)", "ain (b)", "a in b", strings.Repeat("a", 63), strings.Repeat("a", 64),
		"a=" + strings.Repeat("b", 63), "a=" + strings.Repeat("b", 64), "a  =  b ,  c", "a=b c", "!a=b", "a=(b)", "a in (b c)"} {
		check(sel)
	}
	pieces := []string{"a", "b.c/d", "x_y", "!", "=", "==", "!=", " in ", " notin ", "(", ")", ",", " ", "1", "-", ">", "<", "v", "", "."}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := r.Intn(8); n >= 0; n-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		check(b.String())
	}
}
