package schedule

import (
	"fmt"
	"sync"
	"testing"
)

// TestKeyOf: two specs share a cache key exactly when they are the same spec (no schedules and
// a nil list are the same), whatever the schedules' text holds.
func TestKeyOf(t *testing.T) {
	specs := []Spec{
		{},
		{Timezone: "UTC"},
		{Schedules: []string{""}},
		{Schedules: []string{"", ""}},
		{Schedules: []string{"0 3 * * *"}},
		{Schedules: []string{"0 3 * * *"}, Timezone: "UTC"},
		{Schedules: []string{"0 3 * * *", "0 4 * * *"}},
		{Schedules: []string{"0 3 * * *", "0 4 * * *"}, Timezone: "Asia/Tokyo"},
		{Schedules: []string{"0 3 * * *", "0 4 * * *", ""}},
		{Schedules: []string{"0 3 * * *", "", "0 4 * * *"}},
		{Schedules: []string{"a", "b"}},
		{Schedules: []string{"a", "1:b"}},
		{Schedules: []string{"a", "1:b", "c"}},
		{Schedules: []string{"a", "b", "1:c"}},
		{Schedules: []string{"a", "b1:c"}},
		{Schedules: []string{"a", "b", "c"}},
	}
	for i, a := range specs {
		for j, b := range specs {
			if same := keyOf(a) == keyOf(b); same != (i == j) {
				t.Errorf("keyOf(%q) == keyOf(%q): %v", a, b, same)
			}
		}
	}
	if keyOf(Spec{Schedules: []string{}}) != keyOf(Spec{}) {
		t.Error("an empty list and no list have different keys")
	}
	one := Spec{Schedules: []string{"0 3 * * *"}, Timezone: "Europe/Berlin"}
	if n := testing.AllocsPerRun(100, func() { keySink = keyOf(one) }); n != 0 {
		t.Errorf("the key of a single schedule allocates %v times", n)
	}
}

var keySink cacheKey // keeps AllocsPerRun's keys on the heap, as the cache's are

// TestIntervalsMemo: the memoised answer is the fresh computation's, the first time and from
// the cache, errors included, also when goroutines ask at once (go test -race).
func TestIntervalsMemo(t *testing.T) {
	specs := []Spec{
		{Schedules: []string{"0 3 * * *"}},
		{Schedules: []string{"0 3 * * *"}, Timezone: "America/New_York"},
		{Schedules: []string{"30 2 * * *"}, Timezone: "America/New_York"},
		{Schedules: []string{"0 6 * * *", "0 18 * * *"}, Timezone: "Europe/Berlin"},
		{Schedules: []string{"0 6 * * *", "0 19 * * *"}, Timezone: "Europe/Berlin"},
		{Schedules: []string{"*/5 * * * *"}},
		{Schedules: []string{"not a schedule"}},
		{Schedules: []string{"0 3 * * *"}, Timezone: "Mars/Olympus"},
		{},
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for _, s := range specs {
					want, werr := maxInterval(s)
					long, short, err := intervals(s)
					if long != want.gap || short != want.minGap || fmt.Sprint(err) != fmt.Sprint(werr) {
						t.Errorf("intervals(%q) = %v, %v, %v; fresh: %v, %v, %v", s, long, short, err, want.gap, want.minGap, werr)
					}
				}
			}
		}()
	}
	wg.Wait()
}
