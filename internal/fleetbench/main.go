// Command fleetbench measures what the chart's Prometheus rules and Grafana dashboard cost a
// Prometheus server at fleet scale: an in-process TSDB (Prometheus v0.305.0's) holding N jobs
// and every series the rules and the dashboard read, over the windows they read them (35 days
// of the per-job leader series), evaluated with Prometheus' own rule groups and PromQL engine.
// Per rule group and evaluation round it reports CPU and samples scanned, per round and per job,
// and amortised per job and minute over the groups' intervals; per dashboard panel, the CPU of
// its queries over the dashboard's default range. BEFORE is the chart at ad0b1db (its rules and
// dashboard, rendered into testdata/ by -write-baseline), AFTER the chart in this tree; each
// with alerts.lookback 35d (the default) and 1d. Run it with `make bench` (CPU is shared: it is
// a measurement, not a test).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/prometheus/tsdb"
	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/promeval"
)

func main() {
	jobs := flag.String("jobs", "1000,10000", "fleet sizes, comma-separated")
	rounds := flag.Int("rounds", 3, "evaluation rounds per variant (medians are reported)")
	dir := flag.String("dir", "bin/fleetbench", "where the generated TSDB blocks are kept between runs")
	chartDir := flag.String("chart", chart.Dir, "the chart measured as AFTER")
	baseline := flag.String("baseline", "internal/fleetbench/testdata", "BEFORE: before-35d.yaml, before-1d.yaml, before-grafana.json")
	variants := flag.String("variants", "before,after", "which of before and after to measure")
	dashboards := flag.Bool("dashboards", true, "measure the Grafana dashboard's panels")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the evaluation rounds to this file")
	writeBaseline := flag.String("write-baseline", "", "render the chart in this directory (e.g. `git archive ad0b1db charts/batch-monitoring`) into -baseline, then exit")
	flag.Parse()
	profile = *cpuProfile
	var err error
	if *writeBaseline != "" {
		err = writeBaselineFiles(*writeBaseline, *baseline)
	} else {
		err = run(*jobs, *rounds, *dir, *chartDir, *baseline, *variants, *dashboards)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

// variant is one rule set and the dashboard that goes with it.
type variant struct {
	name      string
	rules     []byte // rule file
	dashboard []byte // Grafana JSON; nil: not measured with this variant
}

// renderRules renders the chart's PrometheusRule groups with alerts.lookback set, without
// annotations (texts; not evaluated).
func renderRules(dir, lookback string) ([]byte, error) {
	res, err := chart.Render(dir, map[string]any{"alerts": map[string]any{"lookback": lookback}},
		chart.Options{APIVersions: []string{"monitoring.coreos.com/v1/PrometheusRule"}})
	if err != nil {
		return nil, err
	}
	objs := res.OfKind("PrometheusRule")
	if len(objs) != 1 {
		return nil, fmt.Errorf("%s: %d PrometheusRule objects rendered", dir, len(objs))
	}
	groups, err := chart.Path(objs[0].Body, "spec", "groups")
	if err != nil {
		return nil, err
	}
	for _, g := range groups.([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			delete(r.(map[string]any), "annotations")
		}
	}
	return yaml.Marshal(map[string]any{"groups": groups})
}

func writeBaselineFiles(chartDir, out string) error {
	for _, lb := range []string{"35d", "1d"} {
		b, err := renderRules(chartDir, lb)
		if err != nil {
			return err
		}
		head := fmt.Sprintf("# The rules of charts/batch-monitoring at ad0b1db with default values and alerts.lookback %s\n# (go run ./internal/fleetbench -write-baseline DIR): fleetbench's BEFORE.\n", lb)
		if err := os.WriteFile(filepath.Join(out, "before-"+lb+".yaml"), append([]byte(head), b...), 0o644); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(filepath.Join(chartDir, chart.GrafanaDashboardFile))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "before-grafana.json"), b, 0o644)
}

func variantsOf(chartDir, baseline, which string) ([]variant, error) {
	var out []variant
	for _, w := range strings.Split(which, ",") {
		for _, lb := range []string{"35d", "1d"} {
			v := variant{name: w + " " + lb}
			var err error
			switch w {
			case "before":
				if v.rules, err = os.ReadFile(filepath.Join(baseline, "before-"+lb+".yaml")); err == nil && lb == "35d" {
					v.dashboard, err = os.ReadFile(filepath.Join(baseline, "before-grafana.json"))
				}
			case "after":
				if v.rules, err = renderRules(chartDir, lb); err == nil && lb == "35d" {
					v.dashboard, err = os.ReadFile(filepath.Join(chartDir, chart.GrafanaDashboardFile))
				}
			default:
				err = fmt.Errorf("unknown variant %q", w)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// profile: where -cpuprofile writes the evaluation rounds' profile (of the last variant).
var profile string

// groupRow: one rule group of one variant at one fleet size, per round (medians).
type groupRow struct {
	variant, group string
	jobs           int
	interval       time.Duration
	cpu            time.Duration
	samples        int64
	slowestRule    time.Duration // the longest rule evaluation of a round (wall)
}

type panelRow struct {
	variant, panel string
	jobs           int
	cpu            time.Duration
	timedOut       bool
}

func run(jobList string, rounds int, dir, chartDir, baseline, which string, dashboards bool) error {
	vs, err := variantsOf(chartDir, baseline, which)
	if err != nil {
		return err
	}
	var groups []groupRow
	var panels []panelRow
	for _, js := range strings.Split(jobList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(js))
		if err != nil {
			return err
		}
		f, blocks, err := prepare(dir, n)
		if err != nil {
			return err
		}
		for _, v := range vs {
			g, p, err := measure(f, blocks, v, rounds, dashboards)
			if err != nil {
				return fmt.Errorf("%s, %d jobs: %w", v.name, n, err)
			}
			groups = append(groups, g...)
			panels = append(panels, p...)
		}
	}
	report(groups, panels)
	return nil
}

// prepare returns the fleet of n jobs and the directory of its blocks, writing them the first
// time.
func prepare(dir string, n int) (*fleet, string, error) {
	// Now: a slot of the main group, as the server would evaluate it.
	now := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC).UnixMilli()
	ph := func(g string, iv time.Duration) int64 { return promeval.Offset(g, iv).Milliseconds() }
	f := newFleet(n, now+ph("argo-cronworkflows", time.Minute), ph("argo-cronworkflows", time.Minute),
		ph("argo-cronworkflows-1h", time.Hour), ph("argo-cronworkflows-1d", 24*time.Hour))
	blocks := filepath.Join(dir, fmt.Sprintf("jobs-%d-%s", n, f.shape()), "blocks")
	done := filepath.Join(blocks, "complete")
	if _, err := os.Stat(done); err == nil {
		return f, blocks, nil
	}
	if err := os.RemoveAll(blocks); err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(blocks, 0o755); err != nil {
		return nil, "", err
	}
	start := time.Now()
	if err := f.writeBlocks(blocks); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(os.Stderr, "fleetbench: %d jobs: blocks written in %s\n", n, time.Since(start).Round(time.Second))
	return f, blocks, os.WriteFile(done, nil, 0o644)
}

// measure opens a TSDB over the fleet's blocks (linked, read-only) with the head appended, and
// evaluates the variant's rule groups for the rounds, then its dashboard's panels.
func measure(f *fleet, blocks string, v variant, rounds int, dashboards bool) ([]groupRow, []panelRow, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(blocks), "variant-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	ents, err := os.ReadDir(blocks)
	if err != nil {
		return nil, nil, err
	}
	db := filepath.Join(tmp, "tsdb")
	if err := os.MkdirAll(db, 0o755); err != nil {
		return nil, nil, err
	}
	// Hard links: the blocks stay as generated (nothing here deletes or compacts them), and a
	// TSDB does not take a symlink for a block.
	for _, e := range ents {
		if e.IsDir() {
			if err := linkTree(filepath.Join(blocks, e.Name()), filepath.Join(db, e.Name())); err != nil {
				return nil, nil, err
			}
		}
	}
	ruleFile := filepath.Join(tmp, "rules.yaml")
	if err := os.WriteFile(ruleFile, v.rules, 0o644); err != nil {
		return nil, nil, err
	}
	opts := tsdb.DefaultOptions()
	opts.RetentionDuration = 0 // keep every block
	now := time.UnixMilli(f.now)
	// No query timeout for the rules: a rule slower than the server's (2m) is measured, and
	// reported as such; a real server would fail it.
	srv, err := promeval.Start(db, ruleFile, now.Add(-time.Minute), promeval.Options{TSDB: opts, QueryTimeout: 24 * time.Hour})
	if err != nil {
		return nil, nil, err
	}
	defer srv.Close()
	srv.DB.DisableCompactions()
	if _, err := f.appendHead(srv.DB); err != nil {
		return nil, nil, err
	}
	var rows []groupRow
	for _, g := range srv.Groups {
		rows = append(rows, groupRow{variant: v.name, group: g.Name(), jobs: f.n, interval: g.Interval()})
	}
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return nil, nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, nil, err
		}
		defer pprof.StopCPUProfile()
	}
	cpus := make([][]time.Duration, len(srv.Groups))
	samples := make([][]int64, len(srv.Groups))
	for r := 0; r < rounds; r++ {
		ts := now.Add(time.Duration(r) * time.Minute)
		for i := range srv.Groups {
			c0, s0 := cpuTime(), srv.Samples()
			// Profile samples are labelled by group (pprof -tagfocus group=NAME).
			pprof.Do(context.Background(), pprof.Labels("group", srv.Groups[i].Name()), func(context.Context) {
				err = srv.Eval(i, ts)
			})
			if err != nil {
				return nil, nil, err
			}
			cpus[i] = append(cpus[i], cpuTime()-c0)
			samples[i] = append(samples[i], srv.Samples()-s0)
			for _, r := range srv.Groups[i].Rules() {
				rows[i].slowestRule = max(rows[i].slowestRule, r.GetEvaluationDuration())
			}
		}
	}
	for i := range rows {
		rows[i].cpu, rows[i].samples = median(cpus[i]), median(samples[i])
		fmt.Fprintf(os.Stderr, "fleetbench: %s, %d jobs, %s: CPU per round %v, samples %v\n", v.name, f.n, rows[i].group, cpus[i], samples[i])
	}
	var panels []panelRow
	if dashboards && v.dashboard != nil {
		end := now.Add(time.Duration(rounds-1) * time.Minute)
		if panels, err = measurePanels(srv, v, end, f.n); err != nil {
			return nil, nil, err
		}
	}
	return rows, panels, nil
}

// measurePanels runs every query of every panel as Grafana does with All selected: tables as an
// instant query at the end, graphs as a range query over the dashboard's default 7 days at a
// 5-minute step (about what a panel's width gives), each within Prometheus' 2-minute query
// timeout.
func measurePanels(srv *promeval.Server, v variant, end time.Time, n int) ([]panelRow, error) {
	var d struct {
		Time struct {
			From string `json:"from"`
		} `json:"time"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr    string `json:"expr"`
				Instant bool   `json:"instant"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(v.dashboard, &d); err != nil {
		return nil, err
	}
	if d.Time.From != "now-7d" {
		return nil, fmt.Errorf("dashboard range from %q, want now-7d", d.Time.From)
	}
	eng := promeval.NewEngine(promeval.QueryTimeout)
	var out []panelRow
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			continue
		}
		row := panelRow{variant: v.name, panel: p.Title, jobs: n}
		for _, t := range p.Targets {
			expr := strings.NewReplacer("$namespace", ".*", "$cronworkflow", ".*").Replace(t.Expr)
			c0 := cpuTime()
			var err error
			if t.Instant {
				q, e := eng.NewInstantQuery(context.Background(), srv.DB, nil, expr, end)
				if err = e; err == nil {
					err = q.Exec(context.Background()).Err
					q.Close()
				}
			} else {
				q, e := eng.NewRangeQuery(context.Background(), srv.DB, nil, expr, end.Add(-7*24*time.Hour), end, 5*time.Minute)
				if err = e; err == nil {
					err = q.Exec(context.Background()).Err
					q.Close()
				}
			}
			row.cpu += cpuTime() - c0
			if err != nil {
				if !strings.Contains(err.Error(), "timed out") && !errors.Is(err, context.DeadlineExceeded) {
					return nil, fmt.Errorf("panel %q: %w", p.Title, err)
				}
				row.timedOut = true
				break
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// linkTree hard-links the files of src into dst.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(path, filepath.Join(dst, rel))
	})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median[T int64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(groups []groupRow, panels []panelRow) {
	fmt.Println("Rule groups, per evaluation round (median of the rounds); per job and minute: amortised over the group's interval; the slowest rule of any round, wall time (a real server fails a rule over its query timeout).")
	fmt.Println()
	fmt.Println("| rules | jobs | group (interval) | CPU per round | per job | samples per round | per job | CPU per job per minute | slowest rule (wall) |")
	fmt.Println("|---|---:|---|---:|---:|---:|---:|---:|---:|")
	type key struct {
		variant string
		jobs    int
	}
	total := map[key]time.Duration{}
	var order []key
	for _, g := range groups {
		perMin := time.Duration(float64(g.cpu) * float64(time.Minute) / float64(g.interval) / float64(g.jobs))
		k := key{g.variant, g.jobs}
		if _, ok := total[k]; !ok {
			order = append(order, k)
		}
		total[k] += perMin
		slowest := dur(g.slowestRule)
		if g.slowestRule > promeval.QueryTimeout {
			slowest += ", over the 2m query timeout"
		}
		fmt.Printf("| %s | %d | %s (%s) | %s | %s | %d | %.0f | %s | %s |\n", g.variant, g.jobs, g.group, short(g.interval),
			dur(g.cpu), dur(g.cpu/time.Duration(g.jobs)), g.samples, float64(g.samples)/float64(g.jobs), dur(perMin), slowest)
	}
	fmt.Println()
	fmt.Println("| rules | jobs | CPU per job per minute, all groups | share of one core |")
	fmt.Println("|---|---:|---:|---:|")
	for _, k := range order {
		fmt.Printf("| %s | %d | %s | %.1f %% |\n", k.variant, k.jobs, dur(total[k]), 100*float64(total[k])*float64(k.jobs)/float64(time.Minute))
	}
	if len(panels) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("Grafana dashboard, All jobs selected, default range (7 days, 5-minute step; tables instant): CPU per panel.")
	fmt.Println()
	fmt.Println("| dashboard | jobs | slowest panel | its CPU | every panel |")
	fmt.Println("|---|---:|---|---:|---:|")
	byKey := map[key][]panelRow{}
	var porder []key
	for _, p := range panels {
		k := key{p.variant, p.jobs}
		if byKey[k] == nil {
			porder = append(porder, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	for _, k := range porder {
		ps := byKey[k]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].cpu > ps[j].cpu })
		var sum time.Duration
		for _, p := range ps {
			sum += p.cpu
		}
		slow := dur(ps[0].cpu)
		if ps[0].timedOut {
			slow = "timed out after " + slow
		}
		fmt.Printf("| %s | %d | %s | %s | %s |\n", strings.TrimSuffix(k.variant, " 35d"), k.jobs, ps[0].panel, slow, dur(sum))
	}
}

func short(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	}
}
