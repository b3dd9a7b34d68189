package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/schedule"
)

const (
	h = time.Hour
	d = 24 * time.Hour
)

func TestMaxInterval(t *testing.T) {
	for name, tc := range map[string]struct {
		spec schedule.Spec
		want time.Duration
	}{
		"daily UTC":                  {schedule.Spec{Schedules: []string{"0 3 * * *"}}, d},
		"daily Tokyo, no DST":        {schedule.Spec{Schedules: []string{"0 3 * * *"}, Timezone: "Asia/Tokyo"}, d},
		"hourly":                     {schedule.Spec{Schedules: []string{"0 * * * *"}}, h},
		"every 5 minutes":            {schedule.Spec{Schedules: []string{"*/5 * * * *"}}, 5 * time.Minute},
		"weekdays only: the weekend": {schedule.Spec{Schedules: []string{"0 9 * * 1-5"}}, 3 * d},
		"weekdays across DST":        {schedule.Spec{Schedules: []string{"0 9 * * MON-FRI"}, Timezone: "Europe/London"}, 3*d + h},
		// 01:30 occurs twice the night New York falls back, and cron (Argo's library) runs the job
		// at both: 24 h, 1 h, 24 h. No gap grows.
		"fall back, New York": {schedule.Spec{Schedules: []string{"30 1 * * *"}, Timezone: "America/New_York"}, 24 * h},
		// 02:30 does not exist the night New York springs forward: that run is skipped, and a
		// daily job goes 47 h without running. A threshold of "a day plus grace" would fire.
		"spring forward, New York": {schedule.Spec{Schedules: []string{"30 2 * * *"}, Timezone: "America/New_York"}, 47 * h},
		// Outside the changed hour a daily run is 23 h or 25 h apart across the transitions.
		"daily, New York": {schedule.Spec{Schedules: []string{"0 12 * * *"}, Timezone: "America/New_York"}, 25 * h},
		// Twice a day in Berlin: 18:00 to 06:00 is 13 h the night clocks go back.
		"two schedules, Berlin": {schedule.Spec{Schedules: []string{"0 6 * * *", "0 18 * * *"}, Timezone: "Europe/Berlin"}, 13 * h},
		"two schedules, UTC":    {schedule.Spec{Schedules: []string{"0 6 * * *", "0 18 * * *"}}, 12 * h},
		// Southern hemisphere: Sydney falls back in April.
		"fall back, Sydney": {schedule.Spec{Schedules: []string{"0 12 * * *"}, Timezone: "Australia/Sydney"}, 25 * h},
		"monthly":           {schedule.Spec{Schedules: []string{"0 0 1 * *"}}, 31 * d},
		// Only months with 31 days: 31 March to 31 May.
		"month end 31st": {schedule.Spec{Schedules: []string{"0 0 31 * *"}}, 61 * d},
		"last days":      {schedule.Spec{Schedules: []string{"0 0 28-31 * *"}}, 28 * d},
		// 29 February: the scan extends to 28 years; 2028 to 2032.
		"leap day":        {schedule.Spec{Schedules: []string{"0 0 29 2 *"}}, (4*365 + 1) * d},
		"descriptor":      {schedule.Spec{Schedules: []string{"@daily"}}, d},
		"every":           {schedule.Spec{Schedules: []string{"@every 90m"}}, 90 * time.Minute},
		"same instant":    {schedule.Spec{Schedules: []string{"0 0 * * *", "@daily"}}, d},
		"quarterly Tokyo": {schedule.Spec{Schedules: []string{"0 9 1 1,4,7,10 *"}, Timezone: "Asia/Tokyo"}, 92 * d},
		// A zone in the schedule itself, without spec.timezone: Argo's validator and controller
		// both read it as written. The gap is the one in the schedule's own zone (New York's DST night).
		"own zone, weekdays": {schedule.Spec{Schedules: []string{"CRON_TZ=Asia/Tokyo 0 6 * * 1-5"}}, 3 * d},
		"own zone, TZ=":      {schedule.Spec{Schedules: []string{"TZ=America/New_York 30 2 * * *"}}, 47 * h},
		"own zone, every":    {schedule.Spec{Schedules: []string{"CRON_TZ=Europe/Berlin @every 2h"}}, 2 * h},
		"own zone, hourly":   {schedule.Spec{Schedules: []string{"CRON_TZ=Europe/London @hourly"}}, h},
		// Two zones: 06:00 Tokyo is 21:00 UTC the day before, 22:00 UTC is 07:00 Tokyo.
		"mixed zones": {schedule.Spec{Schedules: []string{"CRON_TZ=Asia/Tokyo 0 6 * * *", "0 22 * * *"}}, 23 * h},
		// 06:00 Tokyo is 21:00 UTC: 15 h to 12:00 UTC. Read in one zone, they would be 18 h apart.
		"mixed zones, midday": {schedule.Spec{Schedules: []string{"CRON_TZ=Asia/Tokyo 0 6 * * *", "0 12 * * *"}}, 15 * h},
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

func TestMaxIntervalErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		spec schedule.Spec
		want string
	}{
		"none":          {schedule.Spec{}, "no schedule"},
		"bad cron":      {schedule.Spec{Schedules: []string{"61 * * * *"}}, `cron schedule 61 * * * * is malformed`},
		"zero step":     {schedule.Spec{Schedules: []string{"*/0 * * * *"}}, `cron schedule */0 * * * * is malformed`},
		"six fields":    {schedule.Spec{Schedules: []string{"0 0 0 * * *"}}, "expected exactly 5 fields"},
		"bad time zone": {schedule.Spec{Schedules: []string{"0 0 * * *"}, Timezone: "Mars/Olympus"}, `invalid timezone "Mars/Olympus"`},
		"bad own zone":  {schedule.Spec{Schedules: []string{"CRON_TZ=Mars/Olympus 0 0 * * *"}}, "provided bad location Mars/Olympus"},
		"prefix alone":  {schedule.Spec{Schedules: []string{"CRON_TZ=UTC"}}, "needs a schedule after it"},
		// Argo's validator accepts this, but its controller prepends CRON_TZ=Europe/Paris and
		// cannot parse the result: the job would never run.
		"two zones": {schedule.Spec{Schedules: []string{"CRON_TZ=Asia/Tokyo 0 6 * * *"}, Timezone: "Europe/Paris"}, "the job never runs"},
		"never":     {schedule.Spec{Schedules: []string{"0 0 30 2 *"}}, "fire fewer than twice"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := schedule.MaxInterval(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMinInterval(t *testing.T) {
	for name, tc := range map[string]struct {
		spec schedule.Spec
		want time.Duration
	}{
		"hourly":                {schedule.Spec{Schedules: []string{"0 * * * *"}}, h},
		"weekdays":              {schedule.Spec{Schedules: []string{"0 9 * * 1-5"}}, d},
		"monthly: February":     {schedule.Spec{Schedules: []string{"0 0 1 * *"}}, 28 * d},
		"every":                 {schedule.Spec{Schedules: []string{"@every 90m"}}, 90 * time.Minute},
		"same instant":          {schedule.Spec{Schedules: []string{"0 0 * * *", "@daily"}}, d},
		"daily, New York":       {schedule.Spec{Schedules: []string{"0 12 * * *"}, Timezone: "America/New_York"}, 23 * h},
		"two schedules, Berlin": {schedule.Spec{Schedules: []string{"0 6 * * *", "0 18 * * *"}, Timezone: "Europe/Berlin"}, 11 * h},
		// 01:30 occurs twice the night New York falls back: cron runs the job 1 h apart.
		"fall back, New York": {schedule.Spec{Schedules: []string{"30 1 * * *"}, Timezone: "America/New_York"}, h},
		// Irregular: the shortest gap, not the usual one.
		"9 and 10 on weekdays": {schedule.Spec{Schedules: []string{"0 9,10 * * 1-5"}}, h},
		"mixed zones, midday":  {schedule.Spec{Schedules: []string{"CRON_TZ=Asia/Tokyo 0 6 * * *", "0 12 * * *"}}, 9 * h},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := schedule.MinInterval(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	j := schedule.Job{Spec: schedule.Spec{Schedules: []string{"0 3 * * *"}}, StartingDeadlineSeconds: 300}
	r, err := schedule.Analyze(j, time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxInterval != d || r.MinInterval != d || r.Threshold != d+5*time.Minute+time.Hour {
		t.Errorf("got %+v", r)
	}
	if r, err = schedule.Analyze(j, time.Hour, 2*d); err != nil || r.Threshold != 2*d {
		t.Errorf("override: got %+v, %v", r, err)
	}
	if r, err = schedule.Analyze(j, time.Hour, d); err != nil || r.Threshold != d {
		t.Errorf("an override of exactly the gap: got %+v, %v", r, err)
	}
	if _, err = schedule.Analyze(j, time.Hour, h); err == nil {
		t.Error("an override shorter than the gap must be refused")
	}
}

// TestScheduleThatNeverFires: robfig/cron (and so Argo) accepts an hour field of ",", which
// matches no hour: alone it is refused as never firing, beside another schedule it adds nothing.
func TestScheduleThatNeverFires(t *testing.T) {
	for _, never := range []string{"*/5 , * * *", ", 3 * * *", "0 0 , * *", "0 0 * , *"} {
		if _, err := schedule.MaxInterval(schedule.Spec{Schedules: []string{never}}); err == nil || !strings.Contains(err.Error(), "fewer than twice") {
			t.Errorf("%s: got %v, want the never-fires refusal", never, err)
		}
	}
	alone, err := schedule.MaxInterval(schedule.Spec{Schedules: []string{"0 3 * * *"}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := schedule.MaxInterval(schedule.Spec{Schedules: []string{"0 3 * * *", "*/5 , * * *"}})
	if err != nil || both != alone || alone != 24*time.Hour {
		t.Errorf("with a never-firing schedule beside it: %v, %v; alone %v", both, err, alone)
	}
}
