package schedule

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestDayWalkMatchesRunWalk checks the day-by-day scan against the plain run-by-run walk with
// the cron library's Next, on random schedules in zones with and without DST, including zones
// whose clocks skip midnight or shift by 30 minutes.
func TestDayWalkMatchesRunWalk(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"}
	pick := func(max, n int, base int) string {
		if rng.Intn(4) == 0 {
			return "*"
		}
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, fmt.Sprint(base+rng.Intn(max)))
		}
		return strings.Join(parts, ",")
	}
	end := Anchor.Add(window)
	for i := 0; i < 600; i++ {
		zone := zones[rng.Intn(len(zones))]
		loc, _ := time.LoadLocation(zone)
		var scheds []cron.Schedule
		var texts []string
		for k := 0; k < 1+rng.Intn(3); k++ {
			minute := fmt.Sprint(rng.Intn(60))
			if rng.Intn(5) == 0 {
				minute = fmt.Sprintf("*/%d", 7+rng.Intn(50))
			}
			hour := pick(24, 1+rng.Intn(3), 0)
			if hour == "*" && strings.HasPrefix(minute, "*/") {
				hour = fmt.Sprint(rng.Intn(24))
			}
			text := fmt.Sprintf("%s %s %s %s %s", minute, hour, pick(31, 1+rng.Intn(3), 1), pick(12, 1+rng.Intn(4), 1), pick(7, 1+rng.Intn(3), 0))
			s, err := cron.ParseStandard("CRON_TZ=" + zone + " " + text)
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			scheds = append(scheds, s)
			texts = append(texts, text)
		}
		got, want := scan(scheds, loc, end), scanRuns(scheds, Anchor, end)
		gotGap, gotFires, wantGap, wantFires := got.gap, got.fires, want.gap, want.fires
		// Chaining the cron library's Next across a night whose midnight does not exist
		// (America/Santiago) can yield a run the schedule does not allow; the day walk does not
		// reproduce such extra runs. They could only shorten gaps, so the gap must agree.
		if gotGap != wantGap || gotFires > wantFires || (gotFires != wantFires && zone != "America/Santiago") {
			t.Errorf("%s %q: day walk %s/%d runs, run walk %s/%d runs", zone, texts, gotGap, gotFires, wantGap, wantFires)
		}
		// The extra runs of such a night may only shorten the run walk's shortest gap.
		if got.minGap != want.minGap && (zone != "America/Santiago" || got.minGap < want.minGap) {
			t.Errorf("%s %q: shortest gap: day walk %s, run walk %s", zone, texts, got.minGap, want.minGap)
		}
	}
}

// TestSparseSchedulesOverTheCenturies checks, for random schedules whose runs are weeks apart,
// the longest gap against the cron library's Next walked over 56 years (two calendar cycles).
func TestSparseSchedulesOverTheCenturies(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	zones := []string{"UTC", "America/New_York", "Australia/Sydney"}
	for i := 0; i < 40; i++ {
		months := []string{fmt.Sprint(1 + rng.Intn(12)), fmt.Sprintf("%d,%d", 1+rng.Intn(6), 7+rng.Intn(6)), "*"}[rng.Intn(3)]
		dom, dow := fmt.Sprint(1+rng.Intn(31)), "*"
		if rng.Intn(2) == 0 {
			dom, dow = "*", fmt.Sprint(rng.Intn(7))
		}
		text := fmt.Sprintf("%d %d %s %s %s", rng.Intn(60), rng.Intn(24), dom, months, dow)
		zone := zones[rng.Intn(len(zones))]
		got, err := maxInterval(Spec{Schedules: []string{text}, Timezone: zone})
		if err != nil {
			continue // never fires (31 February)
		}
		p, err := Parse(text, zone)
		if err != nil {
			t.Fatal(err)
		}
		if want := scanRuns([]cron.Schedule{p}, Anchor, Anchor.Add(2*longWindow)); got.gap != want.gap {
			t.Errorf("%s in %s: longest gap %s, over 56 years %s", text, zone, got.gap, want.gap)
		}
	}
}
