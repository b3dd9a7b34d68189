//go:build linux

package e2e

// The chart's alerts on a real Prometheus server (v0.305.0, built by test/tools/prometheus.sh):
// it scrapes the real controller the way the chart's PodMonitor tells the Prometheus Operator
// to, evaluates the chart's PrometheusRule as rendered by the Helm SDK, and the test reads the
// alerts through Prometheus' HTTP API across a controller restart.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

const (
	// promInterval is the scrape interval (the PodMonitor's, set through the chart's values) and
	// the rule evaluation interval.
	promInterval = 2 * time.Second
	// promTimeout bounds each wait on Prometheus: a few scrapes and evaluations.
	promTimeout = 30 * time.Second
	alertFailed = "ArgoCronWorkflowLastRunFailed"
)

// Prometheus is a running Prometheus server fed with the chart's rules.
type Prometheus struct {
	t       *testing.T
	p       *Plane
	URL     string
	proc    *proc
	sdFile  string
	podMon  map[string]any // the rendered PodMonitor
	podPort string         // the controller's metrics port, as in a pod's address
	name    string         // its log's name
	args    []string       // its command line
	tsdb    string         // its data directory
	starts  int
}

// promChartValues are the chart values of the test: the controller of this plane (namespace,
// plain-HTTP metrics as the harness configures them), the Prometheus Operator flavour, the
// PodMonitor's honorLabels as given and its interval shortened to promInterval. Everything else
// is the chart's default.
func promChartValues(honorLabels bool) map[string]any {
	return map[string]any{
		"controller": map[string]any{
			"flavour":   "upstream",
			"namespace": Namespace,
			"metrics":   map[string]any{"secure": false},
		},
		"datadog": map[string]any{"enabled": false},
		"prometheus": map[string]any{
			"podMonitor": map[string]any{"create": "always", "interval": promInterval.String(), "honorLabels": honorLabels},
			"rules":      map[string]any{"create": "always"},
		},
	}
}

// StartPrometheus starts a Prometheus server (log: <name>.log): it renders the chart in
// chartDir with vals, writes the PrometheusRule's groups as Prometheus' rule file and the PodMonitor's endpoint as a
// scrape config, and starts Prometheus with its TSDB in a temporary directory. It is stopped
// when the test ends.
func (p *Plane) StartPrometheus(t *testing.T, name, chartDir string, vals map[string]any) *Prometheus {
	t.Helper()
	return p.startPrometheus(t, name, chartDir, vals, "")
}

// startPrometheus is StartPrometheus, also scraping kube-state-metrics at ksmURL when set, the
// way kube-prometheus-stack's ServiceMonitor has its Prometheus do it: honor_labels as
// kubeStateMetrics.honorLabels says, the target labels of a Service endpoint in namespace
// monitoring.
func (p *Plane) startPrometheus(t *testing.T, name, chartDir string, vals map[string]any, ksmURL string) *Prometheus {
	t.Helper()
	res, err := chart.Render(chartDir, vals, chart.Options{})
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	rules, mons := res.OfKind("PrometheusRule"), res.OfKind("PodMonitor")
	if len(rules) != 1 || len(mons) != 1 {
		t.Fatalf("rendered %d PrometheusRule and %d PodMonitor objects, want 1 each", len(rules), len(mons))
	}
	groups, err := chart.Path(rules[0].Body, "spec", "groups")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups.([]any) {
		// The groups evaluated every minute or hour run at promInterval: the chart's intervals
		// would outlast the test. A daily group keeps its interval and does not run during a
		// test: its snapshots, taken every 2 s, would be fresher than any real one and would
		// stand in for the hourly group's after an outage (TestPrometheusOutages).
		if iv, err := model.ParseDuration(fmt.Sprint(g.(map[string]any)["interval"])); err != nil || time.Duration(iv) <= time.Hour {
			g.(map[string]any)["interval"] = promInterval.String()
		}
		for _, r := range g.(map[string]any)["rules"].([]any) {
			rule := r.(map[string]any)
			n, ok := rule["alert"].(string)
			if !ok {
				n, _ = rule["record"].(string)
			}
			names = append(names, n)
		}
	}
	t.Logf("%s: %d rules: %s", name, len(names), strings.Join(names, ", "))
	dir := t.TempDir()
	writeYAMLFile(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": groups})

	eps, err := chart.Path(mons[0].Body, "spec", "podMetricsEndpoints")
	if err != nil || len(eps.([]any)) != 1 {
		t.Fatalf("PodMonitor endpoints: %v (%v)", eps, err)
	}
	ep := eps.([]any)[0].(map[string]any)
	interval, err := time.ParseDuration(fmt.Sprint(ep["interval"]))
	if err != nil || interval != promInterval {
		t.Fatalf("PodMonitor interval %v, want %s (%v)", ep["interval"], promInterval, err)
	}
	// The scrape config the Prometheus Operator generates from the endpoint: honor_labels,
	// scheme, path, TLS verification; its target labels are written per controller pod by
	// setTarget.
	scrape := map[string]any{
		"job_name":        fmt.Sprintf("podMonitor/%s/%s/0", mons[0].Namespace, mons[0].Name),
		"honor_labels":    ep["honorLabels"],
		"scheme":          ep["scheme"],
		"metrics_path":    ep["path"],
		"scrape_interval": ep["interval"],
		"file_sd_configs": []any{map[string]any{"files": []any{filepath.Join(dir, "targets.json")}}},
	}
	if tls, ok := ep["tlsConfig"].(map[string]any); ok {
		scrape["tls_config"] = map[string]any{"insecure_skip_verify": tls["insecureSkipVerify"]}
	}
	scrapes := []any{scrape}
	if ksmURL != "" {
		u, err := url.Parse(ksmURL)
		if err != nil {
			t.Fatal(err)
		}
		honor := true
		if h, ok := chart.Path(vals, "kubeStateMetrics", "honorLabels"); ok == nil {
			honor = h.(bool)
		}
		scrapes = append(scrapes, map[string]any{
			"job_name":        "serviceMonitor/monitoring/kube-state-metrics/0",
			"honor_labels":    honor,
			"metrics_path":    u.Path,
			"scrape_interval": promInterval.String(),
			"static_configs": []any{map[string]any{"targets": []string{u.Host}, "labels": map[string]string{
				"namespace": "monitoring", "service": "kube-state-metrics", "endpoint": "http", "pod": "kube-state-metrics-0",
				"container": "kube-state-metrics", "job": "kube-state-metrics", "instance": "10.0.9.9:8080"}}},
		})
	}
	writeYAMLFile(t, filepath.Join(dir, "prometheus.yaml"), map[string]any{
		"global": map[string]any{
			"scrape_interval":     promInterval.String(),
			"evaluation_interval": promInterval.String(),
		},
		"rule_files":     []any{filepath.Join(dir, "rules.yaml")},
		"scrape_configs": scrapes,
	})
	u, err := url.Parse(p.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http"; ep["scheme"] != want || u.Scheme != want || ep["path"] != u.Path {
		t.Fatalf("PodMonitor endpoint %s %s, the harness serves %s", ep["scheme"], ep["path"], p.MetricsURL)
	}
	prom := &Prometheus{t: t, p: p, sdFile: filepath.Join(dir, "targets.json"), podMon: mons[0].Body, podPort: u.Port()}
	prom.setTarget()

	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	prom.URL = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	prom.name, prom.tsdb = name, filepath.Join(dir, "tsdb")
	prom.args = []string{
		"--config.file=" + filepath.Join(dir, "prometheus.yaml"),
		"--storage.tsdb.path=" + prom.tsdb,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", ports[0]),
		"--log.level=warn",
	}
	t.Cleanup(func() {
		if t.Failed() && prom.proc != nil {
			t.Logf("---- last lines of %s ----\n%s", prom.proc.name, tail(prom.proc.logPath, 40))
		}
		if err := prom.Stop(); err != nil {
			t.Error(err)
		}
	})
	prom.Start()
	return prom
}

// Start starts the server on its data directory and waits until it is ready.
func (prom *Prometheus) Start() {
	t := prom.t
	t.Helper()
	name := prom.name
	if prom.starts++; prom.starts > 1 {
		name = fmt.Sprintf("%s-%d", prom.name, prom.starts)
	}
	var err error
	if prom.proc, err = prom.p.start(name, nil, os.Getenv(envPrometheus), prom.args...); err != nil {
		t.Fatal(err)
	}
	prom.wait("Prometheus ready", func() (bool, error) {
		resp, err := http.Get(prom.URL + "/-/ready")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == 200, nil
	})
}

// Stop stops the server (SIGTERM: it shuts down cleanly, its data directory kept).
func (prom *Prometheus) Stop() error {
	if prom.proc == nil {
		return nil
	}
	return prom.proc.stop(stopGrace)
}

func writeYAMLFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// controllerPod names the controller process of the plane as the pod it stands for: each
// start is a new pod.
func (p *Plane) controllerPod() string { return fmt.Sprintf("workflow-controller-%d", p.ctrlStarts) }

// setTarget writes the target of the current controller process with the labels the
// Prometheus Operator's relabeling gives a pod of the PodMonitor: a new pod after every
// restart, with its own pod IP in instance (the scrape itself goes to the loopback port), so
// a restart looks to Prometheus as it does in a cluster: the old target goes, a new one comes.
func (prom *Prometheus) setTarget() {
	t := prom.t
	t.Helper()
	name, _ := chart.Path(prom.podMon, "metadata", "name")
	ns, _ := chart.Path(prom.podMon, "metadata", "namespace")
	port, _ := chart.Path(prom.podMon, "spec", "podMetricsEndpoints", 0, "port")
	b, err := json.Marshal([]any{map[string]any{
		"targets": []string{"127.0.0.1:" + prom.podPort},
		"labels": map[string]string{
			"instance":  fmt.Sprintf("10.0.0.%d:%s", prom.p.ctrlStarts, prom.podPort),
			"namespace": Namespace,
			"pod":       prom.p.controllerPod(),
			"container": "workflow-controller",
			"endpoint":  fmt.Sprint(port),
			"job":       fmt.Sprintf("%s/%s", ns, name),
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Written whole, then renamed: file_sd must never read a half-written file.
	tmp := prom.sdFile + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, prom.sdFile); err != nil {
		t.Fatal(err)
	}
}

// wait polls f until it holds, failing the test after promTimeout.
func (prom *Prometheus) wait(what string, f func() (bool, error)) {
	prom.t.Helper()
	if err := poll(promTimeout, 200*time.Millisecond, what, func() (bool, error) {
		if done, err := prom.proc.exited(); done {
			return false, fmt.Errorf("prometheus exited: %v\n%s", err, tail(prom.proc.logPath, 30))
		}
		return f()
	}); err != nil {
		prom.t.Fatal(err)
	}
}

// api GETs a Prometheus API path and decodes its data field into v.
func (prom *Prometheus) api(path string, params url.Values, v any) error {
	c := &http.Client{Timeout: 5 * time.Second}
	u := prom.URL + path
	if params != nil {
		u += "?" + params.Encode()
	}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("GET %s: %s: %v", path, resp.Status, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, body.Error)
	}
	return json.Unmarshal(body.Data, v)
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// query evaluates an instant query now.
func (prom *Prometheus) query(q string) ([]promSample, error) {
	var data struct {
		Result []promSample `json:"result"`
	}
	err := prom.api("/api/v1/query", url.Values{"query": {q}}, &data)
	return data.Result, err
}

// promAlert is one active alert of /api/v1/alerts.
type promAlert struct {
	Labels   map[string]string `json:"labels"`
	State    string            `json:"state"`
	ActiveAt time.Time         `json:"activeAt"`
	Value    string            `json:"value"`
}

// alerts returns the active (pending or firing) alerts named name.
func (prom *Prometheus) alerts(name string) ([]promAlert, error) {
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	if err := prom.api("/api/v1/alerts", nil, &data); err != nil {
		return nil, err
	}
	var out []promAlert
	for _, a := range data.Alerts {
		if a.Labels["alertname"] == name {
			out = append(out, a)
		}
	}
	return out, nil
}

// lastEvaluation returns when the rule groups run at promInterval were last evaluated (the
// daily group does not run during a test), failing the test if any rule is unhealthy (a rule
// the server rejects at evaluation).
func (prom *Prometheus) lastEvaluation() (time.Time, error) {
	var data struct {
		Groups []struct {
			Name           string    `json:"name"`
			Interval       float64   `json:"interval"`
			LastEvaluation time.Time `json:"lastEvaluation"`
			Rules          []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := prom.api("/api/v1/rules", nil, &data); err != nil {
		return time.Time{}, err
	}
	if len(data.Groups) == 0 {
		return time.Time{}, fmt.Errorf("no rule groups loaded")
	}
	last := time.Now()
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			if r.Health == "err" {
				prom.t.Fatalf("rule %s of group %s: %s", r.Name, g.Name, r.LastError)
			}
		}
		if g.LastEvaluation.Before(last) && g.Interval <= promInterval.Seconds() {
			last = g.LastEvaluation
		}
	}
	return last, nil
}

// evaluatedAfter waits until every rule group has been evaluated n times after t0 (at
// promInterval).
func (prom *Prometheus) evaluatedAfter(t0 time.Time, n int) {
	prom.t.Helper()
	prom.wait(fmt.Sprintf("%d rule evaluations after %s", n, t0.Format(time.StampMilli)), func() (bool, error) {
		last, err := prom.lastEvaluation()
		return err == nil && !last.Before(t0.Add(time.Duration(n-1)*promInterval)), err
	})
}

// alertWatch samples one job's instances of an alert from /api/v1/alerts until stopped.
type alertWatch struct {
	mu      sync.Mutex
	samples []alertSample
	errs    []string
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

type alertSample struct {
	at     time.Time
	alerts []promAlert
}

// watchAlert samples every 250 ms the active instances of alert for the job.
func (prom *Prometheus) watchAlert(alert, job string) *alertWatch {
	w := &alertWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			as, err := prom.alerts(alert)
			var ours []promAlert
			for _, a := range as {
				if a.Labels["cronworkflow"] == job {
					ours = append(ours, a)
				}
			}
			w.mu.Lock()
			if err != nil {
				w.errs = append(w.errs, err.Error())
			} else {
				w.samples = append(w.samples, alertSample{at: time.Now(), alerts: ours})
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return w
}

// Stop ends the sampling and returns the samples.
func (w *alertWatch) Stop() ([]alertSample, []string) {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	return w.samples, w.errs
}

// latest returns the last sample taken at or after t0 (waiting for one).
func (w *alertWatch) latest(t *testing.T, t0 time.Time) alertSample {
	t.Helper()
	var s alertSample
	if err := poll(promTimeout, 50*time.Millisecond, "an alert sample", func() (bool, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if n := len(w.samples); n > 0 && !w.samples[n-1].at.Before(t0) {
			s = w.samples[n-1]
			return true, nil
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s alertSample) String() string {
	var parts []string
	for _, a := range s.alerts {
		parts = append(parts, fmt.Sprintf("%s since %s %s", a.State, a.ActiveAt.Format(time.StampMilli), labelString(a.Labels)))
	}
	return fmt.Sprintf("%s: %d instance(s) %s", s.at.Format(time.StampMilli), len(s.alerts), strings.Join(parts, "; "))
}

func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// promCase is one Prometheus server of TestPrometheusAlertAcrossRestart and what it must show.
type promCase struct {
	prom  *Prometheus
	watch *alertWatch
	nsKey string            // the label carrying the job's namespace in this server
	want  map[string]string // the alert's labels
	first promAlert         // the alert instance as it fired
}

// TestPrometheusAlertAcrossRestart: on a real Prometheus evaluating the chart's rules, the
// last-run-failed alert fires after a failed run, stays firing (one instance, one incident: the
// same activeAt) while a controller restart leaves the job without any series and after the
// job fails again on the new controller, and resolves after the next successful run. Two
// servers watch the same runs: the PodMonitor's honorLabels true (the default) and false (the
// job's namespace label arrives as exported_namespace; the chart adapts its rules).
func TestPrometheusAlertAcrossRestart(t *testing.T) {
	p := needPlane(t)
	const name = "prom-alert"
	var cases []*promCase
	for _, honor := range []bool{true, false} {
		c := &promCase{prom: p.StartPrometheus(t, fmt.Sprintf("prometheus-honorlabels-%v", honor), filepath.Join("..", "..", chart.Dir), promChartValues(honor)), nsKey: "namespace"}
		if !honor {
			c.nsKey = "exported_namespace"
		}
		c.want = map[string]string{"alertname": alertFailed, c.nsKey: Namespace, "cronworkflow": name, "severity": "critical"}
		cases = append(cases, c)
	}
	// each runs f for every server (f names it, c.prom.proc.name, in its messages).
	each := func(f func(c *promCase)) {
		t.Helper()
		for _, c := range cases {
			f(c)
		}
	}
	j := NewJob(t, p, name, singlePodJob)
	exitCode := metricPrefix + j.cfg.Spec.Metrics.ExitCode.Name
	// What the alert stands on, the recording rule of the leader's value.
	recorded := fmt.Sprintf(`cronworkflow:%s:leader{cronworkflow=%q}`, exitCode, name)
	// valueIs waits until q returns exactly one series with value v.
	valueIs := func(c *promCase, q, v string) {
		t.Helper()
		c.prom.wait(fmt.Sprintf("%s: %s == %s", c.prom.proc.name, q, v), func() (bool, error) {
			r, err := c.prom.query(q)
			return err == nil && len(r) == 1 && r[0].Value[1] == v, err
		})
	}
	each(func(c *promCase) {
		c.watch = c.prom.watchAlert(alertFailed, name)
		t.Cleanup(func() { c.watch.Stop() })
	})

	// A successful run: the series is scraped, recorded as 0, no alert.
	j.Run(map[string]string{"exit": "0"}, succeeded)
	each(func(c *promCase) {
		valueIs(c, recorded, "0")
		c.prom.evaluatedAfter(time.Now(), 2)
		if s := c.watch.latest(t, time.Now()); len(s.alerts) != 0 {
			t.Fatalf("%s: after a successful run: %s", c.prom.proc.name, s)
		}
		// The controller alert: quiet while this controller reports is_leader 1 (v3.6+); Argo
		// before 3.6 has no is_leader, so it is pending there (the chart README says it always
		// fires on those versions), while the job alerts count such a pod as leading.
		as, err := c.prom.alerts("ArgoWorkflowsControllerNotExporting")
		if err != nil {
			t.Fatal(err)
		}
		wantPending := 0
		if strings.HasPrefix(p.ArgoVersion, "v3.5.") {
			wantPending = 1
		}
		if len(as) != wantPending || (len(as) == 1 && as[0].State != "pending") {
			t.Errorf("%s: Argo %s: ArgoWorkflowsControllerNotExporting %v, want %d pending instance(s)", c.prom.proc.name, p.ArgoVersion, as, wantPending)
		}
	})

	// A failed run: the alert fires.
	failStart := time.Now()
	j.Run(map[string]string{"exit": "1"}, failed)
	failedAt := time.Now()
	each(func(c *promCase) {
		c.prom.wait(c.prom.proc.name+": "+alertFailed+" firing for "+name, func() (bool, error) {
			s := c.watch.latest(t, time.Now())
			if len(s.alerts) == 1 && s.alerts[0].State == "firing" {
				c.first = s.alerts[0]
				return true, nil
			}
			return false, nil
		})
		t.Logf("%s: %s fired %.1fs after the failed run ended, active since %s", c.prom.proc.name, alertFailed, time.Since(failedAt).Seconds(), c.first.ActiveAt.Format(time.StampMilli))
	})

	// A controller restart: the new controller exports nothing for the job until its next run,
	// so the raw gauge goes stale (an alert on it, the rule issue 11 replaced, resolves here).
	if err := p.RestartController(""); err != nil {
		t.Fatal(err)
	}
	each(func(c *promCase) { c.prom.setTarget() })
	restartedAt := time.Now()
	if lines, _, err := j.Scraped(); err != nil || len(lines) != 0 {
		t.Fatalf("after the restart the controller exports %q for the job (%v): the restart proves nothing", lines, err)
	}
	each(func(c *promCase) {
		valueIs(c, fmt.Sprintf(`up{pod=%q}`, p.controllerPod()), "1")
		naive := fmt.Sprintf("max by (%s, cronworkflow) (%s{cronworkflow=%q}) > 0", c.nsKey, exitCode, name)
		c.prom.wait(c.prom.proc.name+": "+naive+" empty (stale after the restart)", func() (bool, error) {
			r, err := c.prom.query(naive)
			return err == nil && len(r) == 0, err
		})
		stale := time.Now()
		c.prom.evaluatedAfter(stale, 3)
		if r, err := c.prom.query(recorded); err != nil || len(r) != 0 {
			t.Fatalf("%s: recorded series after the restart: %v (%v), want none (the alert must stand on last_over_time)", c.prom.proc.name, r, err)
		}
		t.Logf("%s: controller restarted; raw series gone %.1fs later; 3 evaluations without it", c.prom.proc.name, stale.Sub(restartedAt).Seconds())
	})

	// The job fails again on the new controller: the new pod's series joins the same alert.
	wf := p.WaitDone(t, j.Trigger(map[string]string{"exit": "1"}).Name)
	if wf.Status.Phase != failed {
		t.Fatalf("run %s: phase %s, want Failed\n%s", wf.Name, wf.Status.Phase, describe(wf))
	}
	each(func(c *promCase) {
		valueIs(c, fmt.Sprintf(`%s{cronworkflow=%q,pod=%q}`, exitCode, name, p.controllerPod()), "1")
		c.prom.evaluatedAfter(time.Now(), 2)
	})

	// The next success resolves it.
	wf = p.WaitDone(t, j.Trigger(map[string]string{"exit": "0"}).Name)
	if wf.Status.Phase != succeeded {
		t.Fatalf("run %s: phase %s, want Succeeded\n%s", wf.Name, wf.Status.Phase, describe(wf))
	}
	successAt := time.Now()
	resolvedAt := map[*promCase]time.Time{}
	each(func(c *promCase) {
		c.prom.wait(c.prom.proc.name+": "+alertFailed+" resolved for "+name, func() (bool, error) {
			return len(c.watch.latest(t, time.Now()).alerts) == 0, nil
		})
		resolvedAt[c] = time.Now()
		t.Logf("%s: %s resolved %.1fs after the successful run ended", c.prom.proc.name, alertFailed, resolvedAt[c].Sub(successAt).Seconds())
	})
	each(func(c *promCase) {
		valueIs(c, recorded, "0")
		c.prom.evaluatedAfter(time.Now(), 2)
	})

	// Every sample, in order: nothing until the alert fired (after the failed run began);
	// from then until the success, exactly one instance, firing, with the job's labels and the
	// first activeAt; at most that one until the resolution; nothing after it.
	each(func(c *promCase) {
		checkAlertSamples(t, c.prom.proc.name, c.watch, c.want, c.first, failStart, successAt, resolvedAt[c])
	})
}

// checkAlertSamples stops w and checks every sample in order: no instance before notBefore;
// from the first firing sample until openUntil exactly one instance, firing, with the labels
// want and first's activeAt (one incident, never resolved and reopened); at most that one until
// resolvedAt; none after it. Each phase reports its first and last wrong sample and how many.
func checkAlertSamples(t *testing.T, who string, w *alertWatch, want map[string]string, first promAlert, notBefore, openUntil, resolvedAt time.Time) {
	t.Helper()
	samples, errs := w.Stop()
	if len(errs) > 0 {
		t.Errorf("%s: %d /api/v1/alerts requests failed, first: %s", who, len(errs), errs[0])
	}
	bad := map[string][]alertSample{}
	var phases []string
	wrong := func(phase string, s alertSample) {
		if bad[phase] == nil {
			phases = append(phases, phase)
		}
		bad[phase] = append(bad[phase], s)
	}
	fired := false
	for _, s := range samples {
		switch {
		case !fired && len(s.alerts) == 0:
		case !fired && s.at.Before(notBefore):
			wrong("before "+notBefore.Format(time.StampMilli), s)
		case s.at.Before(openUntil):
			fired = true
			a := promAlert{}
			if len(s.alerts) == 1 {
				a = s.alerts[0]
			}
			if len(s.alerts) != 1 || a.State != "firing" || !a.ActiveAt.Equal(first.ActiveAt) || !sameLabels(a.Labels, want) {
				wrong(fmt.Sprintf("while open (want one instance %s, firing since %s)", labelString(want), first.ActiveAt.Format(time.StampMilli)), s)
			}
		case s.at.Before(resolvedAt):
			if len(s.alerts) > 1 {
				wrong("resolving", s)
			}
		default:
			if len(s.alerts) != 0 {
				wrong("after the resolution", s)
			}
		}
	}
	for _, ph := range phases {
		t.Errorf("%s: %s: %d wrong samples, first %s, last %s", who, ph, len(bad[ph]), bad[ph][0], bad[ph][len(bad[ph])-1])
	}
	if len(samples) == 0 {
		t.Errorf("%s: no samples of /api/v1/alerts", who)
		return
	}
	t.Logf("%s: %d samples of /api/v1/alerts over %.1fs", who, len(samples), samples[len(samples)-1].at.Sub(samples[0].at).Seconds())
}

func sameLabels(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
