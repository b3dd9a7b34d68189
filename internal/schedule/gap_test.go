package schedule_test

import (
	"testing"
	"time"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/schedule"
)

// TestGapWithinTheDay: when the longest wait is between two runs of the same day, not overnight,
// the threshold must cover it. 03:00 and 20:00 are 17 h apart; 20:00 to 03:00 is only 7 h.
func TestGapWithinTheDay(t *testing.T) {
	for name, tc := range map[string]struct {
		spec schedule.Spec
		want time.Duration
	}{
		"one schedule, two hours":  {schedule.Spec{Schedules: []string{"0 3,20 * * *"}}, 17 * h},
		"two schedules":            {schedule.Spec{Schedules: []string{"0 20 * * *", "0 3 * * *"}}, 17 * h},
		"three runs, middle gap":   {schedule.Spec{Schedules: []string{"0 1,2,22 * * *"}}, 20 * h},
		"in a zone without DST":    {schedule.Spec{Schedules: []string{"30 3,20 * * *"}, Timezone: "Asia/Kolkata"}, 17 * h},
		"every 10 min, 06 to 08 h": {schedule.Spec{Schedules: []string{"*/10 6-8 * * *"}}, 21*h + 10*time.Minute},
		"minutes apart, overnight": {schedule.Spec{Schedules: []string{"0,50 5 * * *"}}, 24*h - 50*time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := schedule.MaxInterval(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestNoTimezoneIsTheControllersZone: without spec.timezone the controller schedules in its own
// zone (UTC in Argo's images), whatever the zone of the machine running argo-metrics-gen. The
// process-wide local zone is switched to one with DST, where a 02:30 run is skipped once a year.
func TestNoTimezoneIsTheControllersZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Local
	time.Local = ny
	defer func() { time.Local = saved }()

	p, err := schedule.Parse("30 2 * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	if loc := schedule.Location(p); loc.String() != "UTC" {
		t.Errorf("runs in %s, want UTC", loc)
	}
	spring := time.Date(2025, time.March, 9, 0, 0, 0, 0, time.UTC) // New York springs forward that night
	if next := p.Next(spring); !next.Equal(spring.Add(2*h + 30*time.Minute)) {
		t.Errorf("next run %s, want 02:30 UTC", next.UTC())
	}
	gap, err := schedule.MaxInterval(schedule.Spec{Schedules: []string{"30 2 * * *"}})
	if err != nil {
		t.Fatal(err)
	}
	if gap != 24*h {
		t.Errorf("longest gap %s, want 24h (47h would be New York's)", gap)
	}
}

// TestGapOverTheYears: a job whose runs are weeks apart waits longer in some years than in
// others, and its threshold must cover the longest wait, not the one of the scan's first year.
func TestGapOverTheYears(t *testing.T) {
	for name, tc := range map[string]struct {
		spec schedule.Spec
		want time.Duration
	}{
		"yearly: 2028 is a leap year":          {schedule.Spec{Schedules: []string{"0 0 1 1 *"}}, 366 * d},
		"the 30th: 30 January to 30 March":     {schedule.Spec{Schedules: []string{"0 0 30 * *"}}, 60 * d},
		"1 January and 1 December":             {schedule.Spec{Schedules: []string{"0 0 1 1,12 *"}}, 335 * d},
		"Mondays in February: 22nd to 7th":     {schedule.Spec{Schedules: []string{"0 0 * 2 1"}}, 350 * d},
		"Mondays in February, two zones":       {schedule.Spec{Schedules: []string{"0 0 * 2 1", "CRON_TZ=Asia/Tokyo 0 9 * 2 1"}}, 350 * d},
		"weekly: the same every year, Chicago": {schedule.Spec{Schedules: []string{"0 9 * * 1"}, Timezone: "America/Chicago"}, 7*d + h},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := schedule.MaxInterval(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
