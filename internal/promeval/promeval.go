// Package promeval runs Prometheus rule groups the way a Prometheus server schedules them, on
// simulated time: Prometheus' own rule groups, PromQL engine and TSDB; each group evaluated at
// its own interval and offset (rules.Group.EvalTimestamp, to the second), the first time after a
// (re)start at its next slot, never to catch up a slot it missed. The chart's Prometheus-outage tests and the
// fleet benchmark run the chart's rules on it.
package promeval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// RuleFile is the name the groups are loaded under: a group's offset in its interval is a hash
// of its name and file, so a fixed name gives every run the same schedule.
const RuleFile = "/etc/prometheus/rules/batch-monitoring.yaml"

// QueryTimeout is the Prometheus server's default query timeout (--query.timeout), which rule
// queries are subject to as well.
const QueryTimeout = 2 * time.Minute

// NewEngine returns a PromQL engine with the Prometheus server's defaults but the query timeout:
// 5m lookback delta, 50M samples per query.
func NewEngine(timeout time.Duration) *promql.Engine {
	return promql.NewEngine(promql.EngineOpts{
		MaxSamples:           50_000_000,
		Timeout:              timeout,
		LookbackDelta:        5 * time.Minute,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
	})
}

// Server is the rule evaluation of one Prometheus server process over its TSDB.
type Server struct {
	DB     *tsdb.DB
	Groups []*rules.Group
	engine *promql.Engine
	next   []time.Time // each group's next slot
	evals  []int       // each group's evaluations since the start
	// samples counts the samples the rule queries scanned (the engine's TotalSamples).
	samples atomic.Int64
}

// Options of a Server; the zero value is the Prometheus server's defaults.
type Options struct {
	TSDB         *tsdb.Options
	QueryTimeout time.Duration
}

// Start opens the TSDB in dir (replaying its write-ahead log, as a restarted Prometheus does),
// loads the rule file's groups, and schedules each at its first slot after now.
func Start(dir, ruleFile string, now time.Time, o Options) (*Server, error) {
	if o.TSDB == nil {
		o.TSDB = tsdb.DefaultOptions()
	}
	if o.QueryTimeout == 0 {
		o.QueryTimeout = QueryTimeout
	}
	db, err := tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, o.TSDB, nil)
	if err != nil {
		return nil, err
	}
	s := &Server{DB: db, engine: NewEngine(o.QueryTimeout)}
	if err := s.load(ruleFile); err != nil {
		db.Close()
		return nil, err
	}
	for _, g := range s.Groups {
		s.next = append(s.next, g.EvalTimestamp(now.UnixNano()).Add(g.Interval()).Truncate(time.Second))
	}
	return s, nil
}

// Offset returns where in its interval a group of that name (loaded from RuleFile) is evaluated.
// Offsets are kept to the second here (Start truncates each slot): the phase within a second
// matters to nothing evaluated, and whole seconds keep time() arithmetic exact.
func Offset(group string, interval time.Duration) time.Duration {
	g := rules.NewGroup(rules.GroupOptions{Name: group, File: RuleFile, Interval: interval, Opts: &rules.ManagerOptions{}})
	const t = 1 << 60 // any instant
	return (time.Duration(g.EvalTimestamp(t).UnixNano()%int64(interval)) + interval).Truncate(time.Second) % interval
}

func (s *Server) load(ruleFile string) error {
	opts := &rules.ManagerOptions{
		QueryFunc:       s.query,
		Appendable:      s.DB,
		Queryable:       s.DB,
		Context:         context.Background(),
		NotifyFunc:      func(context.Context, string, ...*rules.Alert) {},
		Logger:          slog.New(slog.DiscardHandler),
		OutageTolerance: time.Hour,
		ForGracePeriod:  10 * time.Minute,
		ResendDelay:     time.Minute,
	}
	loaded, errs := rules.NewManager(opts).LoadGroups(time.Minute, labels.EmptyLabels(), "", nil, false, ruleFile)
	if len(errs) > 0 {
		return fmt.Errorf("loading %s: %w", ruleFile, errors.Join(errs...))
	}
	// In the file's order: groups due at the same instant are evaluated in it.
	file, errs := rulefmt.ParseFile(ruleFile, false)
	if len(errs) > 0 {
		return fmt.Errorf("parsing %s: %w", ruleFile, errors.Join(errs...))
	}
	for _, rg := range file.Groups {
		g := loaded[rules.GroupKey(ruleFile, rg.Name)]
		s.Groups = append(s.Groups, rules.NewGroup(rules.GroupOptions{
			Name: g.Name(), File: RuleFile, Interval: g.Interval(), Limit: g.Limit(),
			Rules: g.Rules(), ShouldRestore: true, Opts: opts,
		}))
	}
	s.evals = make([]int, len(s.Groups))
	return nil
}

// query is the rules' query function (rules.EngineQueryFunc's), counting the samples scanned.
func (s *Server) query(ctx context.Context, q string, t time.Time) (promql.Vector, error) {
	qry, err := s.engine.NewInstantQuery(ctx, s.DB, nil, q, t)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if st := qry.Stats(); st != nil && st.Samples != nil {
		s.samples.Add(st.Samples.TotalSamples)
	}
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{promql.Sample{T: v.T, F: v.V, Metric: labels.EmptyLabels()}}, nil
	default:
		return nil, errors.New("rule result is not a vector or scalar")
	}
}

// Samples returns the samples the rule queries scanned so far.
func (s *Server) Samples() int64 { return s.samples.Load() }

// Appender returns an appender of the server's TSDB, for scraped samples.
func (s *Server) Appender() storage.Appender { return s.DB.Appender(context.Background()) }

// RunUntil evaluates every group at each of its slots before t, in time order (groups due at the
// same instant in the order of Groups), calling after each evaluation.
func (s *Server) RunUntil(t time.Time, after func(g *rules.Group, ts time.Time)) error {
	for {
		i := -1
		for j, n := range s.next {
			if n.Before(t) && (i < 0 || n.Before(s.next[i])) {
				i = j
			}
		}
		if i < 0 {
			return nil
		}
		ts := s.next[i]
		if err := s.Eval(i, ts); err != nil {
			return err
		}
		if after != nil {
			after(s.Groups[i], ts)
		}
		s.next[i] = ts.Add(s.Groups[i].Interval())
	}
}

// Eval evaluates group i at ts, as the server's evaluation loop does (it restores the alerts'
// `for` state after the group's second evaluation since the start), and returns the first
// rule error.
func (s *Server) Eval(i int, ts time.Time) error {
	g := s.Groups[i]
	rules.DefaultEvalIterationFunc(context.Background(), g, ts)
	if s.evals[i]++; s.evals[i] == 2 {
		g.RestoreForState(ts)
	}
	for _, r := range g.Rules() {
		if err := r.LastError(); err != nil {
			return fmt.Errorf("group %s, rule %s at %s: %w", g.Name(), r.Name(), ts.UTC().Format(time.RFC3339), err)
		}
	}
	return nil
}

// Close stops the server: its TSDB is closed, the write-ahead log kept.
func (s *Server) Close() error { return s.DB.Close() }
