// Package schedule derives, from a CronWorkflow's schedules and time zone, the longest time the
// job may go between two scheduled runs, and from it the staleness threshold alerts use.
//
// Schedules are parsed exactly as Argo's cron controller does: github.com/robfig/cron/v3's
// standard parser on "CRON_TZ=<timezone> <schedule>". The scan covers a fixed year (so the
// result is a pure function of the spec: Argo CD diffs it) long enough to include weekends,
// month ends and both DST transitions. A schedule whose runs are more than a week apart depends
// on the calendar year (a leap day lengthens a yearly job's gap, weekdays fall on other dates),
// so it is scanned over the 28 years after which the calendar repeats.
package schedule

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the same answer on every machine, whatever its zoneinfo

	"github.com/robfig/cron/v3"
)

// Anchor is where every scan starts: fixed, so thresholds do not drift with the date of a run.
var Anchor = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

const (
	window = 366 * 24 * time.Hour
	// longWindow is the Gregorian calendar's cycle of weekdays and leap years (1901 to 2099).
	longWindow = 28 * 366 * 24 * time.Hour
	week       = 7 * 24 * time.Hour
	maxFires   = 1 << 20 // a once-a-minute schedule fires 527,040 times a year
)

// Spec is what the analysis needs from a CronWorkflow.
type Spec struct {
	Schedules []string
	Timezone  string
}

// MaxInterval returns the longest gap between two consecutive scheduled runs of all the
// schedules together.
func MaxInterval(s Spec) (time.Duration, error) {
	gap, _, err := intervals(s)
	return gap, err
}

// MinInterval returns the shortest gap between two consecutive scheduled runs of all the
// schedules together: a run still going after it overlaps the next one.
func MinInterval(s Spec) (time.Duration, error) {
	_, gap, err := intervals(s)
	return gap, err
}

// intervals returns the longest and shortest gaps of a spec's schedules together, from a memo:
// a scan costs from 50 us (a daily job) to 5 ms (a monthly one, scanned over 28 years), and a
// fleet repeats its schedules. The answer is a pure function of the spec, which is the key
// whole (TestMemo).
func intervals(s Spec) (longest, shortest time.Duration, err error) {
	key := fmt.Sprintf("%q %q", s.Timezone, s.Schedules)
	if r, ok := memo.Load(key); ok {
		r := r.(result)
		return r.gap, r.minGap, r.err
	}
	g, err := maxInterval(s)
	memo.Store(key, result{g.gap, g.minGap, err})
	return g.gap, g.minGap, err
}

var memo sync.Map // key -> result

type result struct {
	gap, minGap time.Duration
	err         error
}

// scanned is what a scan finds: the longest and shortest gaps and the number of runs.
type scanned struct {
	gap, minGap time.Duration
	fires       int
}

func maxInterval(s Spec) (scanned, error) {
	if len(s.Schedules) == 0 {
		return scanned{}, fmt.Errorf("no schedule: set spec.schedule or spec.schedules")
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			return scanned{}, fmt.Errorf("spec.timezone: invalid timezone %q: %v", s.Timezone, err)
		}
	}
	parsed := make([]cron.Schedule, len(s.Schedules))
	var loc *time.Location
	sameZone := true
	for i, text := range s.Schedules {
		p, err := Parse(text, s.Timezone)
		if err != nil {
			return scanned{}, err
		}
		parsed[i] = p
		l := Location(p)
		if loc == nil {
			loc = l
		} else if l.String() != loc.String() {
			sameZone = false
		}
	}
	parsed = slices.DeleteFunc(parsed, neverFires)
	walk := func(end time.Time) scanned { return scan(parsed, loc, end) }
	if !sameZone {
		// Schedules in different zones share no calendar day: walk them run by run.
		walk = func(end time.Time) scanned { return scanRuns(parsed, Anchor, end) }
	}
	r := walk(Anchor.Add(window))
	if r.fires < 2 || r.gap > week {
		r = walk(Anchor.Add(longWindow))
	}
	if r.fires < 2 {
		return scanned{}, fmt.Errorf("schedules %q fire fewer than twice in 28 years", s.Schedules)
	}
	return r, nil
}

// starBit is the bit robfig/cron sets in a field written as "*" or "?" (unexported there).
const starBit = 1 << 63

// neverFires reports a schedule whose minute or hour field matches nothing (an hour field of ","
// parses so): it adds no runs, and the day walk, whose days all match, would ask the cron
// library on every day of 56 years for a next run it searches five years for (12 s for one
// document). Empty day or month fields match no day, which the walk skips at once.
func neverFires(s cron.Schedule) bool {
	spec, ok := s.(*cron.SpecSchedule)
	return ok && (spec.Minute&^starBit == 0 || spec.Hour&^starBit == 0)
}

// Parse reads one schedule as Argo v3.7 does. Its validator accepts what cron.ParseStandard
// accepts as written, its own "CRON_TZ=" or "TZ=" prefix included; its controller prepends
// "CRON_TZ=<spec.timezone> " when timezone is set, and otherwise runs in its own zone (UTC in
// Argo's images, never this machine's). Refusals carry Argo's reason.
func Parse(text, timezone string) (cron.Schedule, error) {
	own := strings.HasPrefix(text, "TZ=") || strings.HasPrefix(text, "CRON_TZ=")
	if own && !strings.Contains(text, " ") {
		// robfig/cron panics on a zone prefix with nothing after it.
		return nil, fmt.Errorf("cron schedule %s is malformed: a time zone prefix needs a schedule after it", text)
	}
	if _, err := cron.ParseStandard(text); err != nil {
		return nil, fmt.Errorf("cron schedule %s is malformed: %v", text, err)
	}
	full := text
	switch {
	case timezone != "":
		full = "CRON_TZ=" + timezone + " " + text
	case !own:
		full = "CRON_TZ=UTC " + text
	}
	p, err := cron.ParseStandard(full)
	if err != nil {
		// Only a schedule with its own zone prefix gets here: Argo's validator accepts it, but
		// the controller cannot schedule "CRON_TZ=<timezone> CRON_TZ=..." and never runs the job.
		return nil, fmt.Errorf("cron schedule %s has its own time zone and spec.timezone %q is set too: Argo's controller prepends CRON_TZ=%s and then fails (%v), so the job never runs; keep one of the two", text, timezone, timezone, err)
	}
	return p, nil
}

// Location is the zone a parsed schedule runs in.
func Location(s cron.Schedule) *time.Location {
	if spec, ok := s.(*cron.SpecSchedule); ok && spec.Location != nil {
		return spec.Location
	}
	return time.UTC // @every: intervals, the same in every zone
}

// scan returns the longest and shortest gaps between consecutive runs of all schedules
// together, from the first run at or after Anchor to the first run after end, and the number
// of runs seen.
//
// It walks days, not runs: a cron schedule fires at the same times of day on every day it
// matches, so an ordinary day is answered from the schedules' bit sets, once per set of
// matching schedules. Days whose length is not 24 h (DST changes) and the days at the ends of
// the window are walked run by run with the cron library's own Next. A once-a-minute job thus
// costs a year of days, not half a million runs.
func scan(schedules []cron.Schedule, loc *time.Location, end time.Time) scanned {
	specs := make([]*cron.SpecSchedule, len(schedules))
	for i, s := range schedules {
		spec, ok := s.(*cron.SpecSchedule)
		if !ok {
			return scanRuns(schedules, Anchor, end) // @every: no day structure
		}
		specs[i] = spec
	}
	d := &dayScan{specs: specs, end: end, ofDay: map[uint64]dayRuns{}}
	a := Anchor.In(loc)
	date := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC) // a calendar date
	day := startOfDay(date, loc)
	for !d.done && day.Before(end.Add(longWindow)) {
		date = date.AddDate(0, 0, 1)
		next := startOfDay(date, loc)
		d.visit(day, next)
		day = next
	}
	return scanned{gap: d.gap, minGap: d.minGap, fires: d.fires}
}

// startOfDay is the first instant of a calendar date in loc. Where clocks jump over midnight
// (America/Santiago, for one), midnight does not exist and the day starts later.
func startOfDay(date time.Time, loc *time.Location) time.Time {
	t := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, loc)
	for t.Day() != date.Day() {
		t = t.Add(15 * time.Minute)
	}
	return t
}

type dayScan struct {
	specs []*cron.SpecSchedule
	end   time.Time
	ofDay map[uint64]dayRuns // matching-schedule set -> runs of an ordinary day
	prev  time.Time          // last run so far
	gap   time.Duration
	// minGap is the shortest gap so far, 0 before the second run.
	minGap time.Duration
	fires  int
	done   bool // the first run after end has been seen
}

// dayRuns are the runs of an ordinary (24 h) day, as offsets from midnight.
type dayRuns struct {
	first, last    time.Duration
	maxGap, minGap time.Duration
	count          int
}

func (d *dayScan) visit(day, next time.Time) {
	var set uint64
	for i, s := range d.specs {
		if matchesDay(s, day) {
			set |= 1 << i
		}
	}
	if set == 0 {
		return
	}
	ordinary := next.Sub(day) == 24*time.Hour && !next.After(d.end) && !day.Before(Anchor)
	if !ordinary || len(d.specs) > 63 {
		for _, t := range runsBetween(d.specs, day, next) {
			d.add(t)
			if d.done {
				return
			}
		}
		return
	}
	r, ok := d.ofDay[set]
	if !ok {
		r = runsOfDay(d.specs, set)
		d.ofDay[set] = r
	}
	if r.count == 0 {
		return
	}
	d.add(day.Add(r.first))
	d.gap = max(d.gap, r.maxGap)
	if r.count > 1 {
		d.minGap = shortest(d.minGap, r.minGap)
	}
	d.fires += r.count - 1
	d.prev = day.Add(r.last)
	if d.prev.After(d.end) {
		d.done = true
	}
}

func (d *dayScan) add(t time.Time) {
	if t.Before(Anchor) {
		return
	}
	if d.fires > 0 {
		d.gap = max(d.gap, t.Sub(d.prev))
		d.minGap = shortest(d.minGap, t.Sub(d.prev))
	}
	d.prev = t
	d.fires++
	d.done = t.After(d.end)
}

// matchesDay is the cron library's day rule: month, then day of month and day of week, which
// must both match when either is "*" and either may match otherwise.
func matchesDay(s *cron.SpecSchedule, t time.Time) bool {
	if 1<<uint(t.Month())&s.Month == 0 {
		return false
	}
	dom := 1<<uint(t.Day())&s.Dom > 0
	dow := 1<<uint(t.Weekday())&s.Dow > 0
	if s.Dom&starBit > 0 || s.Dow&starBit > 0 {
		return dom && dow
	}
	return dom || dow
}

// runsOfDay lists, from the bit sets, the times of day at which the schedules in set fire.
// Five-field schedules (Argo's parser, descriptors included) always fire at second 0.
func runsOfDay(specs []*cron.SpecSchedule, set uint64) dayRuns {
	var hours, minutes uint64 // candidates: a run needs each part from some schedule
	for i, s := range specs {
		if set&(1<<i) != 0 {
			hours, minutes = hours|s.Hour, minutes|s.Minute
		}
	}
	var r dayRuns
	var prev time.Duration
	for h := range 24 {
		if hours&(1<<h) == 0 {
			continue
		}
		for m := range 60 {
			if minutes&(1<<m) == 0 || !anyFires(specs, set, h, m) {
				continue
			}
			t := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
			if r.count == 0 {
				r.first = t
			} else {
				r.maxGap = max(r.maxGap, t-prev)
				r.minGap = shortest(r.minGap, t-prev)
			}
			prev, r.last = t, t
			r.count++
		}
	}
	return r
}

func anyFires(specs []*cron.SpecSchedule, set uint64, h, m int) bool {
	for i, s := range specs {
		if set&(1<<i) != 0 && s.Hour&(1<<h) != 0 && s.Minute&(1<<m) != 0 {
			return true
		}
	}
	return false
}

// runsBetween lists, with the cron library's Next, the runs in [from, to).
func runsBetween(specs []*cron.SpecSchedule, from, to time.Time) []time.Time {
	var out []time.Time
	t := from.Add(-time.Nanosecond)
	for {
		var n time.Time
		for _, s := range specs {
			if x := s.Next(t); !x.IsZero() && (n.IsZero() || x.Before(n)) {
				n = x
			}
		}
		if n.IsZero() || !n.Before(to) {
			return out
		}
		out = append(out, n)
		t = n
	}
}

// scanRuns walks run by run; only @every schedules, which have no day structure, need it.
func scanRuns(schedules []cron.Schedule, start, end time.Time) scanned {
	next := make([]time.Time, len(schedules))
	for i, s := range schedules {
		next[i] = s.Next(start.Add(-time.Second))
	}
	var prev time.Time
	var r scanned
	for r.fires < maxFires {
		i := earliest(next)
		t := next[i]
		if t.IsZero() {
			break
		}
		if r.fires > 0 {
			r.gap = max(r.gap, t.Sub(prev))
			r.minGap = shortest(r.minGap, t.Sub(prev))
		}
		prev = t
		r.fires++
		if t.After(end) {
			break
		}
		for j := range next {
			if next[j].Equal(t) {
				next[j] = schedules[j].Next(t)
			}
		}
	}
	return r
}

// shortest is min for a shortest gap so far, which is 0 before there is one. Runs are
// distinct instants, so a gap is never 0.
func shortest(sofar, gap time.Duration) time.Duration {
	if sofar == 0 {
		return gap
	}
	return min(sofar, gap)
}

func earliest(ts []time.Time) int {
	best := 0
	for i, t := range ts {
		if !t.IsZero() && (ts[best].IsZero() || t.Before(ts[best])) {
			best = i
		}
	}
	return best
}

// Job is what the threshold needs from a CronWorkflow.
type Job struct {
	Spec
	StartingDeadlineSeconds int64
	Suspend                 bool
}

// Result of analysing one job.
type Result struct {
	MaxInterval time.Duration
	// MinInterval is the shortest gap: how long a run may last before it overlaps the next.
	MinInterval time.Duration
	Threshold   time.Duration
}

// Analyze returns a job's longest gap between scheduled runs and its staleness threshold: the
// gap, plus startingDeadlineSeconds (the controller may start a run that late), plus expected,
// how long a run takes (a success is recorded when the run completes). A positive override
// replaces the computed threshold, but never goes below the gap.
func Analyze(j Job, expected time.Duration, override time.Duration) (Result, error) {
	gap, minGap, err := intervals(j.Spec)
	if err != nil {
		return Result{}, err
	}
	threshold := gap + time.Duration(j.StartingDeadlineSeconds)*time.Second + expected
	if override > 0 {
		if override < gap {
			return Result{}, fmt.Errorf("staleness threshold %s is shorter than the longest gap between scheduled runs (%s): the alert would fire between healthy runs", override, gap)
		}
		threshold = override
	}
	return Result{MaxInterval: gap, MinInterval: minGap, Threshold: threshold}, nil
}
