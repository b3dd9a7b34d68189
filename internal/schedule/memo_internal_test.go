package schedule

import (
	"sync"
	"testing"
)

// TestMemo: the memo answers what a fresh scan answers, for every spec, asked first or again
// and from several goroutines at once (go test -race); specs whose texts join alike keep their
// own answers.
func TestMemo(t *testing.T) {
	specs := []Spec{
		{},
		{Timezone: "UTC"},
		{Schedules: []string{"0 3 * * *"}},
		{Schedules: []string{"0 3 * * *"}, Timezone: "Asia/Tokyo"},
		{Schedules: []string{"0 3 * * *", "0 4 * * *"}},
		{Schedules: []string{"0 3 * * *\" \"0 4 * * *"}},
		{Schedules: []string{"0 3 * * *", "0 4 * * *"}, Timezone: "Europe/Paris"},
		{Schedules: []string{"0 3 * * *"}, Timezone: "Nowhere/Atlantis"},
		{Schedules: []string{"*/15 * * * *"}},
		{Schedules: []string{"0 0 1 * *"}},
		{Schedules: []string{"not a schedule"}},
		{Schedules: []string{"0 0 30 2 *"}},
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range specs {
				for range 2 {
					gap, minGap, err := intervals(s)
					fresh, ferr := maxInterval(s)
					if gap != fresh.gap || minGap != fresh.minGap || (err == nil) != (ferr == nil) || err != nil && err.Error() != ferr.Error() {
						t.Errorf("%q in %q: memo %v %v %v, fresh %v %v %v", s.Schedules, s.Timezone, gap, minGap, err, fresh.gap, fresh.minGap, ferr)
					}
				}
			}
		}()
	}
	wg.Wait()
}
