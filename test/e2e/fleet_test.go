//go:build linux

package e2e

// What a fleet of jobs costs the real controller's /metrics (the chart README's Cost section):
// E2E_FLEET_JOBS=N (`make e2e-fleet`, 1,000) creates N CronWorkflows with the recipe's metrics
// and runs each once on the real workflow-controller.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestControllerMetricsAtFleetScale: after one run of each of N jobs (one in ten failed), the
// controller exports every job's series, exactly: exit_code, duration and
// staleness_threshold_seconds for every job, last_success_timestamp for those that succeeded.
// It logs what each job adds to /metrics (bytes, lines) and how long a scrape of the whole
// endpoint takes (20 GETs over the loopback, as Prometheus' scrape would read it): measurements
// for the README, not assertions.
func TestControllerMetricsAtFleetScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("E2E_FLEET_JOBS"))
	if n <= 0 {
		t.Skip("set E2E_FLEET_JOBS=N (make e2e-fleet) to measure the controller's /metrics at N jobs")
	}
	p := needPlane(t)
	base, baseTimes := scrapeTimes(t, p, 20)
	name := func(i int) string { return fmt.Sprintf("fleet-%05d", i) }
	ctx := context.Background()
	t.Cleanup(func() {
		for i := 0; i < n; i++ {
			p.Argo.ArgoprojV1alpha1().CronWorkflows(Namespace).Delete(ctx, name(i), metav1.DeleteOptions{})
		}
	})
	start := time.Now()
	for i := 0; i < n; i++ {
		j := NewJob(t, p, name(i), singlePodJob)
		exit := "0"
		if i%10 == 0 {
			exit = "1"
		}
		j.Trigger(map[string]string{"exit": exit})
	}
	t.Logf("%d CronWorkflows created and triggered in %.0fs", n, time.Since(start).Seconds())
	series := func(body string) map[string][]string {
		out := map[string][]string{}
		for _, l := range strings.Split(body, "\n") {
			if i := strings.Index(l, `cronworkflow="fleet-`); i >= 0 && !strings.HasPrefix(l, "#") {
				job := l[i+len(`cronworkflow="`):]
				job = job[:strings.IndexByte(job, '"')]
				out[job] = append(out[job], l[:strings.IndexAny(l, "{ ")])
			}
		}
		return out
	}
	var body string
	if err := poll(20*time.Minute, 2*time.Second, fmt.Sprintf("the series of %d jobs", n), func() (bool, error) {
		p.checkAlive(t)
		var err error
		if body, err = p.Scrape(); err != nil {
			return false, err
		}
		got := series(body)
		done := 0
		for _, s := range got {
			if len(s) >= 3 {
				done++
			}
		}
		return done == n, nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d runs completed and exported %.0fs after the first trigger", n, time.Since(start).Seconds())
	got := series(body)
	for i := 0; i < n; i++ {
		want := []string{"argo_workflows_duration", "argo_workflows_exit_code", "argo_workflows_staleness_threshold_seconds"}
		if i%10 != 0 {
			want = append(want, "argo_workflows_last_success_timestamp")
		}
		s := slices.Sorted(slices.Values(got[name(i)]))
		slices.Sort(want)
		if !slices.Equal(s, want) {
			t.Errorf("%s exports %v, want %v", name(i), s, want)
		}
	}
	full, fullTimes := scrapeTimes(t, p, 20)
	var jobBytes, jobLines int
	for _, l := range strings.Split(full, "\n") {
		if strings.Contains(l, `cronworkflow="fleet-`) {
			jobBytes += len(l) + 1
			jobLines++
		}
	}
	t.Logf("/metrics before: %d bytes, scrape median %s (max %s)", len(base), median(baseTimes), slices.Max(baseTimes))
	t.Logf("/metrics with %d jobs: %d bytes (+%d: %.0f bytes per job; the jobs' own lines %d bytes, %.2f lines per job), scrape median %s (max %s)",
		n, len(full), len(full)-len(base), float64(len(full)-len(base))/float64(n), jobBytes, float64(jobLines)/float64(n), median(fullTimes), slices.Max(fullTimes))
}

// scrapeTimes GETs the controller's /metrics k times and returns the last body and each
// request's duration (headers to the last byte).
func scrapeTimes(t *testing.T, p *Plane, k int) (string, []time.Duration) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	var body []byte
	var times []time.Duration
	for i := 0; i < k; i++ {
		start := time.Now()
		resp, err := c.Get(p.MetricsURL)
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s %v", p.MetricsURL, resp.Status, err)
		}
		times = append(times, time.Since(start))
	}
	return string(body), times
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
