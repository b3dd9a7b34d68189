//go:build linux

package e2e

// The chart's alerts across Prometheus outages on the real server: Prometheus is stopped, the
// real controller restarts meanwhile (the new one exports nothing for the jobs until they run
// again), and Prometheus starts again on the same data directory. An outage of minutes or hours
// cannot be waited out in a test, so before the restart every sample of the directory is moved
// back by the outage's length: to the restarted server the last scrape and the last rule
// evaluation happened that long ago, exactly as after a real outage (the chart's windows, 1h for
// the carried series, 26h for the hourly snapshots, are not scaled). Every group is evaluated
// every 2 s here (StartPrometheus), so a state restored by the hourly group comes back at its
// first evaluation, seconds after the restart.

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// TestPrometheusOutages: a job whose last run failed keeps its last-run-failed alert after
// Prometheus outages of 3 minutes, 30 minutes and 6 hours during which the controller
// restarted, and a job that failed then succeeded before the outages never alerts after them.
func TestPrometheusOutages(t *testing.T) {
	p := needPlane(t)
	const name, fixedName = "prom-outage", "prom-outage-fixed"
	prom := p.StartPrometheus(t, "prometheus-outage", filepath.Join("..", "..", chart.Dir), promChartValues(true))
	j := NewJob(t, p, name, singlePodJob)
	fixed := NewJob(t, p, fixedName, singlePodJob)
	j.Run(map[string]string{"exit": "1"}, failed)
	fixed.Run(map[string]string{"exit": "1"}, failed)
	fixed.Run(map[string]string{"exit": "0"}, succeeded)
	// alerting returns the jobs the alert fires for.
	alerting := func() (map[string]bool, error) {
		as, err := prom.alerts(alertFailed)
		out := map[string]bool{}
		for _, a := range as {
			if a.State == "firing" {
				out[a.Labels["cronworkflow"]] = true
			}
		}
		return out, err
	}
	// firingOnlyFor waits until the alert fires for the failed job and not for the fixed one,
	// then checks over a few evaluations that it stays so.
	firingOnlyFor := func(what string) {
		t.Helper()
		start := time.Now()
		prom.wait(what+": "+alertFailed+" firing for "+name+" only", func() (bool, error) {
			f, err := alerting()
			return f[name] && !f[fixedName], err
		})
		back := time.Since(start)
		for end := time.Now().Add(4 * promInterval); time.Now().Before(end); time.Sleep(promInterval / 4) {
			f, err := alerting()
			if err != nil {
				t.Fatal(err)
			}
			if f[fixedName] || !f[name] {
				t.Fatalf("%s: %s fires for %v, want %s only", what, alertFailed, f, name)
			}
		}
		t.Logf("%s: %s firing for %s %.1fs after the start, not for %s", what, alertFailed, name, back.Seconds(), fixedName)
	}
	firingOnlyFor("before the outages")

	for _, down := range []time.Duration{3 * time.Minute, 30 * time.Minute, 6 * time.Hour} {
		what := fmt.Sprintf("after %s down", down)
		if err := prom.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := p.RestartController(""); err != nil {
			t.Fatal(err)
		}
		prom.setTarget()
		for _, job := range []*Job{j, fixed} {
			if lines, _, err := job.Scraped(); err != nil || len(lines) != 0 {
				t.Fatalf("after the restart the controller exports %q for %s (%v): the restart proves nothing", lines, job.Name, err)
			}
		}
		n, err := shiftTSDB(prom.tsdb, down, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d samples moved back by %s", what, n, down)
		prom.Start()
		firingOnlyFor(what)
	}

	// The next success resolves it.
	j.Run(map[string]string{"exit": "0"}, succeeded)
	prom.wait(alertFailed+" resolved", func() (bool, error) {
		f, err := alerting()
		return len(f) == 0, err
	})
}

// shiftTSDB moves every sample of the (stopped) server's data directory back by d: it reads
// the directory (blocks and write-ahead log) with the TSDB's read-only opener and writes each
// sample, in time order, into a fresh directory that replaces it.
func shiftTSDB(dir string, d time.Duration, sandbox string) (int, error) {
	logger := slog.New(slog.DiscardHandler)
	ro, err := tsdb.OpenDBReadOnly(dir, sandbox, logger)
	if err != nil {
		return 0, err
	}
	defer ro.Close()
	q, err := ro.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	type sample struct {
		series int
		t      int64
		v      float64
	}
	var lsets []labels.Labels
	var samples []sample
	set := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchRegexp, labels.MetricName, ".+"))
	var it chunkenc.Iterator
	for set.Next() {
		s := set.At()
		it = s.Iterator(it)
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			if vt != chunkenc.ValFloat {
				return 0, fmt.Errorf("%s: a %s sample: only floats are expected here", s.Labels(), vt)
			}
			t, v := it.At()
			samples = append(samples, sample{len(lsets), t - d.Milliseconds(), v})
		}
		if err := it.Err(); err != nil {
			return 0, err
		}
		lsets = append(lsets, s.Labels())
	}
	if err := set.Err(); err != nil {
		return 0, err
	}
	sort.SliceStable(samples, func(a, b int) bool { return samples[a].t < samples[b].t })
	out := dir + ".shifted"
	db, err := tsdb.Open(out, logger, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		return 0, err
	}
	refs := make([]storage.SeriesRef, len(lsets))
	app := db.Appender(context.Background())
	for i, s := range samples {
		if refs[s.series], err = app.Append(refs[s.series], lsets[s.series], s.t, s.v); err != nil {
			db.Close()
			return 0, err
		}
		if i%10000 == 9999 {
			if err := app.Commit(); err != nil {
				db.Close()
				return 0, err
			}
			app = db.Appender(context.Background())
		}
	}
	if err := app.Commit(); err != nil {
		db.Close()
		return 0, err
	}
	if err := db.Close(); err != nil {
		return 0, err
	}
	if err := ro.Close(); err != nil {
		return 0, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return 0, err
	}
	return len(samples), os.Rename(out, dir)
}
