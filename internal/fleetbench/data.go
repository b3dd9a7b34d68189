package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/tsdb/index"
)

const (
	minute = int64(time.Minute / time.Millisecond)
	hour   = 60 * minute
	day    = 24 * hour
	// headSpan: the newest samples, appended to the head when a variant opens the TSDB (a
	// Prometheus server holds its last 2–3 hours there); everything older is in 2-day blocks
	// (35 days: 18 blocks; a server with a 35-day retention compacts up to 3.5 days per block).
	headSpan  = 2 * hour
	blockSpan = 2 * day
	// chunkSamples: Prometheus cuts a chunk every 120 samples.
	chunkSamples = 120
)

// fleet is the synthetic history of n CronWorkflows: every series the rendered rules and the
// Grafana dashboard read, before and after, each over the window something reads it, at the
// rate Prometheus stores it. Each job runs daily at its own minute; one in 20 fails every run
// (its last success 40 days back), the others succeed; durations vary run to run.
type fleet struct {
	n   int
	now int64 // ms: the main group's slot the evaluation rounds start at
	// slots: the groups' phase in their interval (ms), as the server schedules them.
	mainPhase, hourlyPhase, dailyPhase int64
	families                           []family
}

// family is one metric's series, one per job (or one for the controller).
type family struct {
	name        string
	raw         bool  // scraped: the target's labels
	step, phase int64 // samples at phase + k*step
	from, to    int64 // [from, to)
	value       func(j int, t int64) float64
	controller  bool              // one series, not one per job
	labels      map[string]string // of every series of the family, besides the job's
}

func (f *fleet) job(j int) (ns, name string) {
	return fmt.Sprintf("team-%03d", j%100), fmt.Sprintf("job-%05d", j)
}

// lastRun returns the start (ms) and index of job j's last daily run at or before t.
func (f *fleet) lastRun(j int, t int64) (int64, int64) {
	at := int64(j*37%1440) * minute
	k := int64(math.Floor(float64(t-at) / float64(day)))
	return k*day + at, k
}

func (f *fleet) failing(j int) bool { return j%20 == 0 }

func (f *fleet) duration(j int, t int64) float64 {
	_, k := f.lastRun(j, t)
	base := float64(60 + j*13%3600)
	return base * (1 + float64((k*7+int64(j))%10)/50)
}

func (f *fleet) lastSuccess(j int, t int64) float64 {
	if f.failing(j) {
		return float64(f.now-40*day) / 1000
	}
	at, _ := f.lastRun(j, t)
	return float64(at) / 1000
}

func (f *fleet) exitCode(j int, _ int64) float64 {
	if f.failing(j) {
		return 1
	}
	return 0
}

// newFleet lays the families out. What is stored, and why that much:
//
//   - raw scraped series (30 s): the last 2 hours; rules read them only at the instant (the
//     leader rules), the dashboard not at all.
//
//   - cronworkflow:<metric>:leader (1 min): 35 days; the rules of ad0b1db read them over
//     alerts.lookback (35d) and the median over 7d, its dashboard over 35d at each step.
//
//   - cronworkflow:<metric>:last and cronworkflow:last_seen:timestamp (1 min): 8 days and an
//     hour; the daily group reads 8 days, the dashboard 7.
//
//   - the hourly snapshots and the median (1 h): 8 days (the median reads 7 days of them, the
//     dashboard the median over 7 days, a day back at its first step); the daily snapshots
//     (1 d): 2 days (read over the last hour).
//
//   - kube-state-metrics' CronWorkflow state (30 s): the last 2 hours, read at the instant; the
//     recorded threshold (1 min) an hour and a half, read over 1h by the pause carry. No job is
//     suspended or stopped (the pause series then has no samples), so this is the state rules'
//     steady cost.
//
// Older samples of a series are never read: a query opens only the blocks in its range.
func newFleet(n int, now int64, mainPhase, hourlyPhase, dailyPhase int64) *fleet {
	f := &fleet{n: n, now: now, mainPhase: mainPhase, hourlyPhase: hourlyPhase, dailyPhase: dailyPhase}
	metrics := []struct {
		name  string
		value func(j int, t int64) float64
	}{
		{"argo_workflows_exit_code", f.exitCode},
		{"argo_workflows_duration", f.duration},
		{"argo_workflows_last_success_timestamp", f.lastSuccess},
		{"argo_workflows_staleness_threshold_seconds", func(int, int64) float64 { return 90000 }},
	}
	seen := func(_ int, t int64) float64 { return float64(t) / 1000 }
	for _, m := range metrics {
		f.families = append(f.families,
			family{name: m.name, raw: true, step: 30_000, phase: 7_000, from: now - headSpan, to: now, value: m.value},
			family{name: "cronworkflow:" + m.name + ":leader", step: minute, phase: mainPhase, from: now - 35*day, to: now, value: m.value},
			family{name: "cronworkflow:" + m.name + ":last", step: minute, phase: mainPhase, from: now - 8*day - hour, to: now, value: m.value},
			family{name: "cronworkflow:" + m.name + ":last_1h", step: hour, phase: hourlyPhase, from: now - 8*day, to: now, value: m.value},
			family{name: "cronworkflow:" + m.name + ":last_1d", step: day, phase: dailyPhase, from: now - 2*day, to: now, value: m.value},
		)
	}
	f.families = append(f.families,
		family{name: "argo_workflows_is_leader", raw: true, controller: true, step: 30_000, phase: 7_000, from: now - headSpan, to: now, value: func(int, int64) float64 { return 1 }},
		family{name: "cronworkflow:last_seen:timestamp", step: minute, phase: mainPhase, from: now - 8*day - hour, to: now, value: seen},
		family{name: "cronworkflow:last_seen:timestamp_1h", step: hour, phase: hourlyPhase, from: now - 8*day, to: now, value: seen},
		family{name: "cronworkflow:last_seen:timestamp_1d", step: day, phase: dailyPhase, from: now - 2*day, to: now, value: seen},
		family{name: "cronworkflow:argo_workflows_duration:median_1h", step: hour, phase: hourlyPhase, from: now - 8*day, to: now,
			value: func(j int, _ int64) float64 { return float64(60+j*13%3600) * 1.1 }},
	)
	constant := func(v float64) func(int, int64) float64 { return func(int, int64) float64 { return v } }
	scheduled := func(j int, t int64) float64 { at, _ := f.lastRun(j, t); return float64(at) / 1000 }
	for _, k := range []struct {
		name   string
		labels map[string]string
		value  func(int, int64) float64
	}{
		{"argo_cronworkflow_suspended", nil, constant(0)},
		{"argo_cronworkflow_phase", map[string]string{"phase": "Active"}, constant(1)},
		{"argo_cronworkflow_phase", map[string]string{"phase": "Stopped"}, constant(0)},
		{"argo_cronworkflow_last_scheduled_time_seconds", nil, scheduled},
		{"argo_cronworkflow_created_time_seconds", nil, constant(float64(now-100*day) / 1000)},
		{"argo_cronworkflow_staleness_threshold_seconds", nil, constant(90000)},
	} {
		f.families = append(f.families, family{name: k.name, labels: k.labels, raw: true, step: 30_000, phase: 11_000, from: now - headSpan, to: now, value: k.value})
	}
	f.families = append(f.families, family{name: "cronworkflow:argo_cronworkflow_staleness_threshold_seconds:max",
		step: minute, phase: mainPhase, from: now - headSpan, to: now, value: constant(90000)})
	return f
}

// shape names the fleet's layout (its families' names, labels and sample times): the directory
// of its blocks, so blocks written for another layout are never read.
func (f *fleet) shape() string {
	h := fnv.New64a()
	for _, fam := range f.families {
		keys := make([]string, 0, len(fam.labels))
		for k := range fam.labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(h, "%s %v %v %d %d %d %d %v;", fam.name, keys, fam.raw, fam.step, fam.phase, fam.from-f.now, fam.to-f.now, fam.controller)
		for _, k := range keys {
			fmt.Fprintf(h, "%s=%s;", k, fam.labels[k])
		}
	}
	return fmt.Sprintf("%x", h.Sum64())
}

// series is one series of a family: its labels and job (-1: the controller's).
type series struct {
	lset labels.Labels
	fam  *family
	job  int
}

// target labels of the controller pod, as the Prometheus Operator's PodMonitor sets them.
var target = map[string]string{"container": "workflow-controller", "endpoint": "metrics", "instance": "10.0.0.7:9090",
	"job": "argo/batch-monitoring-controller", "pod": "workflow-controller-5d9f"}

// allSeries returns every series, sorted by labels (the index's order).
func (f *fleet) allSeries() []series {
	var out []series
	for i := range f.families {
		fam := &f.families[i]
		if fam.controller {
			m := map[string]string{"__name__": fam.name, "namespace": "monitoring"}
			for k, v := range target {
				m[k] = v
			}
			out = append(out, series{labels.FromMap(m), fam, -1})
			continue
		}
		for j := 0; j < f.n; j++ {
			ns, name := f.job(j)
			m := map[string]string{"__name__": fam.name, "namespace": ns, "cronworkflow": name}
			for k, v := range fam.labels {
				m[k] = v
			}
			if fam.raw {
				for k, v := range target {
					m[k] = v
				}
			}
			out = append(out, series{labels.FromMap(m), fam, j})
		}
	}
	sort.Slice(out, func(a, b int) bool { return labels.Compare(out[a].lset, out[b].lset) < 0 })
	return out
}

// times returns the sample times of a family in [from, to).
func (fam *family) times(from, to int64) []int64 {
	from, to = max(from, fam.from), min(to, fam.to)
	k := int64(math.Ceil(float64(from-fam.phase) / float64(fam.step)))
	var out []int64
	for t := fam.phase + k*fam.step; t < to; t += fam.step {
		out = append(out, t)
	}
	return out
}

// writeBlocks writes every sample before the head into 2-day blocks under dir, straight through
// the TSDB's chunk and index writers (a head would hold every series of a block in memory).
func (f *fleet) writeBlocks(dir string) error {
	all := f.allSeries()
	start := (f.now - 35*day) / (2 * hour) * (2 * hour)
	end := f.headStart()
	for mint := start; mint < end; mint += blockSpan {
		if err := f.writeBlock(dir, all, mint, min(mint+blockSpan, end)); err != nil {
			return err
		}
	}
	return nil
}

// headStart is where the head begins: 2 hours back, on a 2-hour boundary as Prometheus cuts
// blocks.
func (f *fleet) headStart() int64 { return (f.now - headSpan) / (2 * hour) * (2 * hour) }

func (f *fleet) writeBlock(dir string, all []series, mint, maxt int64) error {
	id := ulid.MustNew(ulid.Timestamp(time.UnixMilli(mint)), rand.Reader)
	tmp := filepath.Join(dir, id.String()+".tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	cw, err := chunks.NewWriter(filepath.Join(tmp, "chunks"))
	if err != nil {
		return err
	}
	iw, err := index.NewWriter(context.Background(), filepath.Join(tmp, "index"))
	if err != nil {
		return err
	}
	syms := map[string]bool{}
	for _, s := range all {
		s.lset.Range(func(l labels.Label) { syms[l.Name], syms[l.Value] = true, true })
	}
	sorted := make([]string, 0, len(syms))
	for s := range syms {
		sorted = append(sorted, s)
	}
	sort.Strings(sorted)
	for _, s := range sorted {
		if err := iw.AddSymbol(s); err != nil {
			return err
		}
	}
	meta := tsdb.BlockMeta{ULID: id, MinTime: mint, MaxTime: maxt, Version: 1}
	meta.Compaction.Level, meta.Compaction.Sources = 1, []ulid.ULID{id}
	ref := storage.SeriesRef(0)
	for _, s := range all {
		ts := s.fam.times(mint, maxt)
		if len(ts) == 0 {
			continue
		}
		var metas []chunks.Meta
		for i := 0; i < len(ts); i += chunkSamples {
			c := chunkenc.NewXORChunk()
			app, err := c.Appender()
			if err != nil {
				return err
			}
			part := ts[i:min(i+chunkSamples, len(ts))]
			for _, t := range part {
				app.Append(t, s.fam.value(s.job, t))
			}
			metas = append(metas, chunks.Meta{Chunk: c, MinTime: part[0], MaxTime: part[len(part)-1]})
		}
		if err := cw.WriteChunks(metas...); err != nil {
			return err
		}
		ref++
		if err := iw.AddSeries(ref, s.lset, metas...); err != nil {
			return err
		}
		meta.Stats.NumSeries++
		meta.Stats.NumChunks += uint64(len(metas))
		meta.Stats.NumSamples += uint64(len(ts))
	}
	if err := cw.Close(); err != nil {
		return err
	}
	if err := iw.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(meta, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, id.String()))
}

// appendHead appends the head's samples, minute by minute across every series (the head refuses
// samples far behind its newest).
func (f *fleet) appendHead(db *tsdb.DB) (int, error) {
	all := f.allSeries()
	from := f.headStart()
	type pending struct {
		s  *series
		ts []int64
	}
	var ps []pending
	for i := range all {
		if ts := all[i].fam.times(from, f.now); len(ts) > 0 {
			ps = append(ps, pending{&all[i], ts})
		}
	}
	n := 0
	refs := make([]storage.SeriesRef, len(ps))
	for lo := from; lo < f.now; lo += minute {
		app := db.Appender(context.Background())
		for i := range ps {
			for len(ps[i].ts) > 0 && ps[i].ts[0] < lo+minute {
				t := ps[i].ts[0]
				ref, err := app.Append(refs[i], ps[i].s.lset, t, ps[i].s.fam.value(ps[i].s.job, t))
				if err != nil {
					return n, err
				}
				refs[i] = ref
				ps[i].ts = ps[i].ts[1:]
				n++
			}
		}
		if err := app.Commit(); err != nil {
			return n, err
		}
	}
	return n, nil
}
