package config

import (
	"fmt"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

// TestSelectorMemo: the memoised selector matches exactly what a fresh labels.Parse matches,
// the first time and from the memo, when goroutines ask at once (go test -race); invalid text
// is an error every time; the memo stays bounded.
func TestSelectorMemo(t *testing.T) {
	texts := []string{"", "tier!=dev", "tier=dev", "team in (a,b),!legacy", "app", "tier notin (dev)"}
	sets := []map[string]string{nil, {"tier": "dev"}, {"tier": "prod", "team": "a"}, {"team": "b", "legacy": "1"}, {"app": "x"}}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for _, text := range texts {
					fresh, err := labels.Parse(text)
					if err != nil {
						t.Error(err)
						return
					}
					got, err := selector(text)
					if err != nil {
						t.Errorf("selector(%q): %v", text, err)
						return
					}
					for _, set := range sets {
						if got.Matches(labels.Set(set)) != fresh.Matches(labels.Set(set)) {
							t.Errorf("selector(%q) on %v: %v, fresh parse %v", text, set, got.Matches(labels.Set(set)), fresh.Matches(labels.Set(set)))
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		if _, err := selector("tier in (dev"); err == nil {
			t.Errorf("round %d: an invalid selector parsed", i)
		}
	}
	for i := 0; i < 2*maxSelectors; i++ {
		if _, err := selector(fmt.Sprintf("k%d=v", i)); err != nil {
			t.Fatal(err)
		}
	}
	selectors.RLock()
	n := len(selectors.m)
	selectors.RUnlock()
	if n != maxSelectors {
		t.Errorf("%d selectors memoised, want the bound %d", n, maxSelectors)
	}
	c := Default()
	c.Spec.Selector.LabelSelector = "tier in (dev"
	if c.Selects("batch", nil) {
		t.Error("an invalid selector selects")
	}
}
