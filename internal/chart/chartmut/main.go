// Command chartmut runs the batch-monitoring chart's template mutations: each one changes one
// comparator, threshold, `for`, label key, lookback, carried window or scheme in
// charts/batch-monitoring/templates,
// the way a real bug would, and the chart's tests (rule evaluation with promtool, the Datadog
// monitor semantics, the render scenarios) run after each (-full: the whole chart package). A
// mutation the tests do not notice survives. The generated-README test never counts: a
// snapshot noticing a change is no proof.
//
// Run from the repository root by `make mutation-chart` (PROMTOOL set); works on a copy of the
// tree, so the checkout is never left mutated. Exit 1 when a mutation survives, 2 on an error
// (e.g. a mutation that no longer matches the template exactly once).
//
//	chartmut [-run REGEXP] [-list] [-full]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// A mutation replaces old, which must occur exactly once in file, with new.
type mutation struct {
	id, file, old, new string
}

const (
	alerts     = "charts/batch-monitoring/templates/_alerts.tpl"
	dd         = "charts/batch-monitoring/templates/datadog-monitors.yaml"
	helpers    = "charts/batch-monitoring/templates/_helpers.tpl"
	cfg        = "charts/batch-monitoring/templates/_config.tpl"
	block      = "charts/batch-monitoring/templates/_workflow-metrics.tpl"
	ddHelpers  = "charts/batch-monitoring/templates/_datadog.tpl"
	dashboards = "charts/batch-monitoring/templates/_dashboards.tpl"
	state      = "charts/batch-monitoring/templates/_kubestate.tpl"
)

var mutations = []mutation{
	// Prometheus / GMP: last run failed.
	{"prom/failed: > 0 to >= 0", alerts, `(printf "%s > 0" $last.exitCode)`, `(printf "%s >= 0" $last.exitCode)`},
	{"prom/failed: > 0 to < 0", alerts, `(printf "%s > 0" $last.exitCode)`, `(printf "%s < 0" $last.exitCode)`},
	{"prom/failed: threshold 0 to 1", alerts, `(printf "%s > 0" $last.exitCode)`, `(printf "%s > 1" $last.exitCode)`},
	{"prom/failed: live value instead of the last known", alerts, `(printf "%s > 0" $last.exitCode)`, `(printf "%s > 0" $rec.exitCode)`},
	{"prom/failed: for 10m", alerts, `"alert" "ArgoCronWorkflowLastRunFailed"`, `"alert" "ArgoCronWorkflowLastRunFailed" "for" "10m"`},
	// Staleness.
	{"prom/stale: > to <", alerts, `"time() - %s > %s%s" $last.lastSuccess`, `"time() - %s < %s%s" $last.lastSuccess`},
	{"prom/stale: > to >=", alerts, `"time() - %s > %s%s" $last.lastSuccess`, `"time() - %s >= %s%s" $last.lastSuccess`},
	{"prom/stale: threshold + 1h", alerts, `"time() - %s > %s%s" $last.lastSuccess`, `"time() - %s > 3600 + %s%s" $last.lastSuccess`},
	{"prom/stale: live last success", alerts, `"time() - %s > %s%s" $last.lastSuccess $last.stalenessThreshold`, `"time() - %s > %s%s" $rec.lastSuccess $last.stalenessThreshold`},
	{"prom/stale: live threshold", alerts, `"time() - %s > %s%s" $last.lastSuccess $last.stalenessThreshold`, `"time() - %s > %s%s" $last.lastSuccess $rec.stalenessThreshold`},
	// Slow run.
	{"prom/slow: > to < (vs median)", alerts, `"(%s > %v * %s) and (%s > %v)"`, `"(%s < %v * %s) and (%s > %v)"`},
	{"prom/slow: factor fixed at 3", alerts, `"(%s > %v * %s) and (%s > %v)" $d $a.slowRun.factor $median`, `"(%s > 3 * %s) and (%s > %v)" $d $median`},
	{"prom/slow: > to < (minSeconds)", alerts, `and (%s > %v)"`, `and (%s < %v)"`},
	{"prom/slow: minSeconds 0", alerts, `(int $a.slowRun.minSeconds))`, `0)`},
	{"prom/median: max instead of median", alerts, `(printf "quantile_over_time(0.5, %s_1h[%s])"`, `(printf "max_over_time(%s_1h[%s])"`},
	{"prom/median: window 1h", alerts, `$last.duration $a.slowRun.window)`, `$last.duration "1h")`},
	// Running too long.
	{"prom/toolong: > to >= (limit)", alerts, `{{- $over := printf "%s > (%s)" $cur $limit -}}`, `{{- $over := printf "%s >= (%s)" $cur $limit -}}`},
	{"prom/toolong: > to < (limit)", alerts, `{{- $over := printf "%s > (%s)" $cur $limit -}}`, `{{- $over := printf "%s < (%s)" $cur $limit -}}`},
	{"prom/toolong: higher of the two limits", alerts, `printf "(%s <= %s) or %s or %s"`, `printf "(%s >= %s) or %s or %s"`},
	{"prom/toolong: limit ignored", alerts, `{{- with $last.runTimeLimit -}}{{- $terms`, `{{- with "" -}}{{- $terms`},
	{"prom/toolong: factor ignored (median alone)", alerts, `(printf "%s * %s" . $median)`, `(printf "%s" $median)`},
	{"prom/toolong: live limit (not the last known)", alerts, `{{- with $last.runTimeLimit -}}{{- $terms = append $terms . -}}`, `{{- with $last.runTimeLimit -}}{{- $terms = append $terms $rec.runTimeLimit -}}`},
	{"prom/toolong: ended runs not told apart", alerts, `"expr" (printf "(%s) and (abs(%s - %s) > 1 or (%s unless %s))" $over $cur $dur $cur $dur)`, `"expr" (printf "%s" $over)`},
	{"prom/toolong: > 1 s to > 0", alerts, `and (abs(%s - %s) > 1 or`, `and (abs(%s - %s) > 0 or`},
	{"prom/toolong: first run limit > to >=", alerts, `"%s or (%s > %v unless (%s))"`, `"%s or (%s >= %v unless (%s))"`},
	{"prom/toolong: first run limit for every job", alerts, `"%s or (%s > %v unless (%s))"`, `"%s or (%s > %v)"`},
	{"prom/toolong: first run limit ignored", alerts, `{{- if gt (int $a.runningTooLong.firstRunSeconds) 0 -}}`, `{{- if false -}}`},
	{"prom/toolong: for 10m", alerts, `"alert" "ArgoCronWorkflowRunningTooLong"`, `"alert" "ArgoCronWorkflowRunningTooLong" "for" "10m"`},
	// N consecutive failures.
	{"prom/streak: >= to > (threshold)", alerts, `(printf "timestamp(%s >= %s)" $rec.consecutiveFailures`, `(printf "timestamp(%s > %s)" $rec.consecutiveFailures`},
	{"prom/streak: threshold + 1", alerts, `(printf "timestamp(%s >= %s)" $rec.consecutiveFailures`, `(printf "timestamp(%s >= 1 + %s)" $rec.consecutiveFailures`},
	{"prom/streak: threshold fixed at 3", alerts, `(printf "timestamp(%s >= %s)" $rec.consecutiveFailures $last.failureThreshold)`, `(printf "timestamp(%s >= 3)" $rec.consecutiveFailures)`},
	{"prom/streak: live count, no history", alerts, `"expr" (printf "%s > (%s or 0 * %s)" $reached $succeeded $reached)`, `"expr" (printf "%s >= %s" $rec.consecutiveFailures $last.failureThreshold)`},
	{"prom/streak: never-succeeded jobs dropped", alerts, `"expr" (printf "%s > (%s or 0 * %s)" $reached $succeeded $reached)`, `"expr" (printf "%s > %s" $reached $succeeded)`},
	{"prom/streak: success ignored", alerts, `(printf "timestamp(%s == 0)" $rec.exitCode)`, `(printf "timestamp(%s == 2)" $rec.exitCode)`},
	{"prom/streak: for 10m", alerts, `"alert" "ArgoCronWorkflowConsecutiveFailures"`, `"alert" "ArgoCronWorkflowConsecutiveFailures" "for" "10m"`},
	// Carried state, expiry, snapshots.
	{"prom/carry: own samples over 5m, not 1h", alerts, `"%s or last_over_time(%s[1h]) or last_over_time(%s_1h[1h])"`, `"%s or last_over_time(%s[5m]) or last_over_time(%s_1h[1h])"`},
	{"prom/carry: hourly snapshots read over a day (older than the own window)", alerts, `"%s or last_over_time(%s[1h]) or last_over_time(%s_1h[1h])"`, `"%s or last_over_time(%s[1h]) or last_over_time(%s_1h[1d])"`},
	{"prom/carry: no hourly snapshot", alerts, `"%s or last_over_time(%s[1h]) or last_over_time(%s_1h[1h])" .now .name .name`, `"%s or last_over_time(%s[1h])" .now .name`},
	{"prom/carry: not expired", alerts, `"expr" (printf "(%s) and %s" (include "batch-monitoring.carry" (dict "now" (get $rec $key) "name" .)) $seen)) -}}`, `"expr" (include "batch-monitoring.carry" (dict "now" (get $rec $key) "name" .))) -}}`},
	{"prom/expiry: a minute late", alerts, `(subf (include "batch-monitoring.seconds" $lb | float64) 0.0005`, `(subf (include "batch-monitoring.seconds" $lb | float64) -60`},
	{"prom/hourly: 1h instead of 26h", alerts, `(printf "last_over_time(%s[26h]) or last_over_time(%s_1d[25h])" . .)`, `(printf "last_over_time(%s[1h]) or last_over_time(%s_1d[25h])" . .)`},
	{"prom/hourly: no daily snapshot", alerts, `(printf "last_over_time(%s[26h]) or last_over_time(%s_1d[25h])" . .)`, `(printf "last_over_time(%s[26h])" .)`},
	{"prom/hourly: daily snapshot over 8d (older than the own window)", alerts, `(printf "last_over_time(%s[26h]) or last_over_time(%s_1d[25h])" . .)`, `(printf "last_over_time(%s[26h]) or last_over_time(%s_1d[8d])" . .)`},
	{"prom/daily: 1d instead of 8d", alerts, `(printf "last_over_time(%s[8d])" .)`, `(printf "last_over_time(%s[1d])" .)`},
	// Controller not exporting.
	{"prom/controller: for 5m", alerts, `"for" $a.controllerDown.for`, `"for" "5m"`},
	{"prom/controller: no for", alerts, `"for" $a.controllerDown.for`, ``},
	{"prom/controller: == 1 to == 0", alerts, `"absent(max(%s) == 1)"`, `"absent(max(%s) == 0)"`},
	{"prom/controller: min instead of max", alerts, `"absent(max(%s) == 1)"`, `"absent(min(%s) == 1)"`},
	{"prom/controller: any namespace's controller", alerts, `(printf "argo_workflows_is_leader{namespace=%q}" (include "batch-monitoring.controllerNamespace" $ctx))`, `"argo_workflows_is_leader"`},
	// Recording rules, label keys, lookback.
	{"prom/record: every pod, not the leader", alerts, `(printf "max by (%s) ((%s and on (instance) (argo_workflows_is_leader == 1)) or (%s unless on (instance) argo_workflows_is_leader))" $by $metric $metric)`, `(printf "max by (%s) (%s)" $by $metric)`},
	{"prom/record: pods without is_leader dropped", alerts, `(printf "max by (%s) ((%s and on (instance) (argo_workflows_is_leader == 1)) or (%s unless on (instance) argo_workflows_is_leader))" $by $metric $metric)`, `(printf "max by (%s) (%s and on (instance) (argo_workflows_is_leader == 1))" $by $metric)`},
	{"prom/labels: group by cronworkflow only", alerts, `{{- $by := join ", " $l.keys -}}`, `{{- $by := "cronworkflow" -}}`},
	{"prom/labels: honorLabels false not adapted", alerts, `{{- $protected = list "namespace" "pod" "container" "endpoint" "job" "instance" -}}`, `{{- $protected = list -}}`},
	{"gmp/labels: exported_ keys not used", alerts, `{{- $protected = list "project_id" "location" "cluster" "namespace" "job" "instance" "container" "pod" "top_level_controller_name" "top_level_controller_type" -}}`, `{{- $protected = list -}}`},
	{"prom/lookback: value ignored (35d)", alerts, `{{- $lb := $a.lookback -}}`, `{{- $lb := "35d" -}}`},
	// The CronWorkflows' state from kube-state-metrics (_kubestate.tpl).
	{"state/quiet: not-succeeded not silenced", alerts, `(ternary (printf " unless %s %s" $ksm.on $ksm.quiet) "" (ne $ksm.quiet ""))`, `""`},
	{"state/pause: suspended not counted", state, `"timestamp(%s == 1 or %s == 1) or`, `"timestamp(%s == 2 or %s == 1) or`},
	{"state/pause: stopped not counted", state, `"timestamp(%s == 1 or %s == 1) or`, `"timestamp(%s == 1 or %s == 2) or`},
	{"state/pause: Active phase taken for Stopped", state, `(printf "%s{phase=\"Stopped\"}" $m.phase)`, `(printf "%s{phase=\"Active\"}" $m.phase)`},
	{"state/pause: no grace after a resume", state, `"timestamp(%s == 1 or %s == 1) or (last_over_time(%s[1h]) > time() - last_over_time(%s[1h]))" $rec.suspended $rec.stopped $rec.pausedAt $rec.threshold`, `"timestamp(%s == 1 or %s == 1)" $rec.suspended $rec.stopped`},
	{"state/pause: carry > to <", state, `(last_over_time(%s[1h]) > time() -`, `(last_over_time(%s[1h]) < time() -`},
	{"state/pause: carry on the live threshold", state, `> time() - last_over_time(%s[1h]))" $rec.suspended`, `> time() - %s)" $rec.suspended`},
	{"state/missed: > to >=", state, `"time() - (%s > %s or %s) > %s"`, `"time() - (%s > %s or %s) >= %s"`},
	{"state/missed: > to <", state, `"time() - (%s > %s or %s) > %s"`, `"time() - (%s > %s or %s) < %s"`},
	{"state/missed: threshold + 1h", state, `"time() - (%s > %s or %s) > %s"`, `"time() - (%s > %s or %s) > 3600 + %s"`},
	{"state/missed: the pause ignored", state, `"time() - (%s > %s or %s) > %s" $rec.pausedAt $rec.scheduled $rec.scheduled $rec.threshold`, `"time() - %s > %s" $rec.scheduled $rec.threshold`},
	{"state/missed: the creation ignored", state, `(printf "%s > %s or %s" (include "batch-monitoring.ksmJobs" (merge (dict "expr" $m.lastScheduled) $jobs)) $created $created)`, `(include "batch-monitoring.ksmJobs" (merge (dict "expr" $m.lastScheduled) $jobs))`},
	{"state/suspended: no for", state, `"for" $a.suspended.after`, `"for" "0s"`},
	{"state/suspended: == 1 to == 0", state, `"expr" (printf "%s == 1" $rec.suspended)`, `"expr" (printf "%s == 0" $rec.suspended)`},
	{"state/specError: SubmissionError ignored", state, `SpecError|SubmissionError`, `SpecError`},
	{"state/specError: no message", state, `"by" (list "type" "message")`, `"by" (list "type")`},
	{"state/labels: kube-state-metrics honorLabels false not adapted", state, `{{- else if not .ctx.Values.kubeStateMetrics.honorLabels -}}`, `{{- else if false -}}`},
	{"state/labels: GMP kube-state-metrics keys not exported_", state, `{{- $protected = list "project_id" "location" "cluster" "namespace" "job" "instance" "container" "pod" "top_level_controller_name" "top_level_controller_type" -}}
{{- else if not .ctx.Values.kubeStateMetrics.honorLabels -}}`, `{{- $protected = list -}}
{{- else if not .ctx.Values.kubeStateMetrics.honorLabels -}}`},
	// Scheme.
	{"scheme: https and http swapped", helpers, `{{- if .Values.controller.metrics.secure -}}https{{- else -}}http{{- end -}}`, `{{- if .Values.controller.metrics.secure -}}http{{- else -}}https{{- end -}}`},
	// Datadog.
	{"datadog/failed: >= 1 to > 1", dd, `by {%s} >= 1" $dd.names.exitCode`, `by {%s} > 1" $dd.names.exitCode`},
	{"datadog/failed: >= 1 to <= 1", dd, `by {%s} >= 1" $dd.names.exitCode`, `by {%s} <= 1" $dd.names.exitCode`},
	{"datadog/failed: critical 0", dd, "\"critical\" \"1\"\n  \"priority\" $v.priority.lastRunFailed", "\"critical\" \"0\"\n  \"priority\" $v.priority.lastRunFailed"},
	{"datadog/failed: missing data resolves", dd, "\"options\" (dict \"onMissingData\" \"default\")) -}}\n{{- end -}}\n{{- if and $a.notSucceeded.enabled", "\"options\" (dict \"onMissingData\" \"resolve\")) -}}\n{{- end -}}\n{{- if and $a.notSucceeded.enabled"},
	{"datadog/stale: > 0 to < 0", dd, `by {%s} > 0" $dd.names.lastSuccess`, `by {%s} < 0" $dd.names.lastSuccess`},
	{"datadog/stale: threshold 0 to -3600", dd, `by {%s} > 0" $dd.names.lastSuccess`, `by {%s} > -3600" $dd.names.lastSuccess`},
	{"datadog/slow: > to <", dd, `by {%s} > %v" $v.slowRunBaseline`, `by {%s} < %v" $v.slowRunBaseline`},
	{"datadog/slow: factor instead of factor-1", dd, `$scope $by (mulf (subf $a.slowRun.factor 1) 100))`, `$scope $by (mulf $a.slowRun.factor 100))`},
	{"datadog/toolong: > 0 to >= 0", dd, `"max(last_5m):(%s + %s - abs(%s - (%s))) / 2 > 0"`, `"max(last_5m):(%s + %s - abs(%s - (%s))) / 2 >= 0"`},
	{"datadog/toolong: ended runs not told apart", dd, `"max(last_5m):(%s + %s - abs(%s - (%s))) / 2 > 0" $over $going $over $going`, `"max(last_5m):%s > 0" $over`},
	{"datadog/toolong: max instead of min", dd, `"max(last_5m):(%s + %s - abs(%s - (%s))) / 2 > 0"`, `"max(last_5m):(%s + %s + abs(%s - (%s))) / 2 > 0"`},
	{"datadog/toolong: 1 s to 0", dd, `abs(%s - max:%s{%s} by {%s}) - 1" $c`, `abs(%s - max:%s{%s} by {%s}) - 0" $c`},
	{"datadog/toolong: missing data keeps the alert", dd, "\"runningTooLong\" \"ns\" $ns \"job\" $job)) $jobNotify)\n  \"options\" (dict \"onMissingData\" \"resolve\")", "\"runningTooLong\" \"ns\" $ns \"job\" $job)) $jobNotify)\n  \"options\" (dict \"onMissingData\" \"default\")"},
	{"datadog/streak: >= 0 to > 0", dd, `by {%s} >= 0" $dd.names.consecutiveFailures`, `by {%s} > 0" $dd.names.consecutiveFailures`},
	{"datadog/streak: threshold -1", dd, `by {%s} >= 0" $dd.names.consecutiveFailures`, `by {%s} >= -1" $dd.names.consecutiveFailures`},
	{"datadog/controller: < 1 to > 1", dd, `%s < 1" $window`, `%s > 1" $window`},
	{"datadog/controller: window 5m", dd, `{{- $window := $a.controllerDown.for -}}`, `{{- $window := "5m" -}}`},
	{"datadog/suspended: >= 1 to > 1", dd, `argo_cronworkflow_suspended{%s} by {%s} >= 1"`, `argo_cronworkflow_suspended{%s} by {%s} > 1"`},
	{"datadog/suspended: max instead of min", dd, `"min(%s):max:kubernetes_state_customresource.argo_cronworkflow_suspended`, `"max(%s):max:kubernetes_state_customresource.argo_cronworkflow_suspended`},
	{"datadog/suspended: window 1w", dd, `(include "batch-monitoring.datadogWindow" $a.suspended.after)`, `"last_1w"`},
	{"datadog/suspended: full window not required", dd, `(dict "onMissingData" "resolve" "requireFullWindow" true)`, `(dict "onMissingData" "resolve")`},
	{"datadog/suspended: missing data keeps the alert", dd, `(dict "onMissingData" "resolve" "requireFullWindow" true)`, `(dict "onMissingData" "default" "requireFullWindow" true)`},
	{"datadog/specError: >= 1 to > 1", dd, `by {%s,type} >= 1"`, `by {%s,type} > 1"`},
	{"datadog/specError: not by type", dd, `by {%s,type} >= 1"`, `by {%s} >= 1"`},
	{"datadog/window: days as minutes", helpers, `{{- printf "last_%dh" (mul (int (trimSuffix "d" .)) 24) -}}`, `{{- printf "last_%dm" (mul (int (trimSuffix "d" .)) 24) -}}`},
	{"datadog/controller: no data not notified", dd, `(dict "onMissingData" "show_and_notify_no_data")`, `(dict "onMissingData" "default")`},
	// The configuration from the values (the chart's copy of internal/helmtpl's templates).
	{"config: two metrics of one name accepted", cfg, `{{- with get $seen $m.name -}}`, `{{- with "" -}}`},
	{"config: label key used twice accepted", cfg, `{{- with get $keys $key -}}`, `{{- with "" -}}`},
	{"config: fromResource default ignored", cfg, `{{- $def := toString ($rl.default | default $d.resourceLabelDefault) -}}`, `{{- $def := toString $d.resourceLabelDefault -}}`},
	{"config: fromResource keys not label keys", cfg, `{{- range $k, $_ := $c.labels.fromResource -}}{{- $extra = append $extra $k -}}{{- end -}}`, ``},
	{"config: run-time factor from the values ignored", cfg, `{{- $_ := set $out.runTime "factor" (float64 $f) -}}`, ``},
	{"block: resource label ignored", block, `{{- if $rv -}}{{- $v = $rv -}}{{- end -}}`, ``},
	{"block: invalid resource label accepted", block, `{{- if not (regexMatch "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$" $rv) -}}`, `{{- if false -}}`},
	// Routing by owner.
	{"datadog/route: substring match", ddHelpers, `{{#is_exact_match \"%s.name\" \"%s\"}}%s{{/is_exact_match}}`, `{{#is_match \"%s.name\" \"%s\"}}%s{{/is_match}}`},
	{"datadog/route: unmatched for every job", ddHelpers, `{{- if $values -}}`, `{{- if false -}}`},
	{"prom/labels: alert labels may hide owners", helpers, `{{- if has $k $r.labelKeys -}}`, `{{- if false -}}`},
	// Dashboards from the values.
	{"dashboards: panels not wrapped", dashboards, `{{- if ge $x 24 -}}`, `{{- if false -}}`},
	{"dashboards: median range not the alerts'", dashboards, `| replace "@@median.range@@" $read.medianRange`, `| replace "@@median.range@@" "7d"`},
	{"dashboards: Datadog tags not the label keys", dashboards, `| replace "@@tags@@" (join "," $r.labelKeys)`, `| replace "@@tags@@" "namespace,cronworkflow"`},
}

func main() {
	run := flag.String("run", "", "only the mutations whose id matches this regular expression")
	list := flag.Bool("list", false, "print the mutations and exit")
	full := flag.Bool("full", false, "run every chart test after each mutation, not only those that judge the mutated template")
	flag.Parse()
	var sel []mutation
	re, err := regexp.Compile(*run)
	if err != nil {
		fail(err)
	}
	for _, m := range mutations {
		if re.MatchString(m.id) {
			sel = append(sel, m)
		}
	}
	if *list {
		for _, m := range sel {
			fmt.Printf("%s\t%s\n", m.id, m.file)
		}
		return
	}
	if os.Getenv("PROMTOOL") == "" {
		fail(fmt.Errorf("PROMTOOL is not set (make mutation-chart sets it)"))
	}
	dir, err := copyTree()
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		os.RemoveAll(dir)
		os.Exit(2)
	}()

	start := time.Now()
	if out, ok := test(dir, "", true); !ok {
		fail(fmt.Errorf("the chart tests fail without any mutation:\n%s", out))
	}
	fmt.Printf("baseline: chart tests pass (%s)\n", time.Since(start).Round(time.Second))
	var survivors []string
	for i, m := range sel {
		path := filepath.Join(dir, filepath.FromSlash(m.file))
		orig, err := os.ReadFile(path)
		if err != nil {
			fail(err)
		}
		if n := bytes.Count(orig, []byte(m.old)); n != 1 {
			fail(fmt.Errorf("mutation %q: %d matches in %s, want 1 (the template changed: update the list)", m.id, n, m.file))
		}
		if err := os.WriteFile(path, bytes.Replace(orig, []byte(m.old), []byte(m.new), 1), 0o644); err != nil {
			fail(err)
		}
		t0 := time.Now()
		out, passed := test(dir, m.file, *full)
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			fail(err)
		}
		verdict := "killed"
		if passed {
			verdict = "SURVIVED"
			survivors = append(survivors, m.id)
		}
		fmt.Printf("[%2d/%d] %-8s %s (%s)%s\n", i+1, len(sel), verdict, m.id, time.Since(t0).Round(time.Second), firstFailure(out))
	}
	fmt.Printf("chart template mutations: %d killed of %d in %s\n", len(sel)-len(survivors), len(sel), time.Since(start).Round(time.Second))
	if len(survivors) > 0 {
		fmt.Printf("survivors:\n  %s\n", strings.Join(survivors, "\n  "))
		os.Exit(1)
	}
}

// test runs chart tests in dir; ok when they pass. Without full, only the tests that judge
// the mutated template's output run: the promtool evaluation and the outage simulation for the
// rules (only the state scenarios for the state rules), the render scenarios and the Datadog
// semantics for the rest (fewer tests can only let more survive).
func test(dir, file string, full bool) (string, bool) {
	// A generous timeout: under load a run of the rule scenarios takes minutes, and a mutant
	// that only times out has not been judged.
	args := []string{"test", "-count=1", "-timeout", "60m", "-skip", "^TestGeneratedFilesUpToDate$"}
	switch {
	case full:
	case file == alerts:
		args = append(args, "-run", "^(TestRulesEvaluated|TestRulesAcrossPrometheusOutages)$")
	case file == state:
		args = append(args, "-run", "^TestRulesEvaluated$/.*/state$")
	default:
		args = append(args, "-run", "^(TestScenariosRender|TestDatadogMonitorsSemantics|TestDatadogRunStateMonitors|TestDatadogStateMonitors|TestOneFileEveryOption|TestConfigRefusalsMatchLoader|"+
			"TestChartRecipeIsInjectors|TestHelmRouteResourceLabels|TestDatadogMonitorsRouteByOwner|TestAlertLabelsDoNotHideOwners|TestGrafanaRunStatePanelsEvaluated|TestDashboardsFollowValues)$")
	}
	cmd := exec.Command("go", append(args, "./internal/chart/")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// firstFailure names the first failing test of a go test output.
func firstFailure(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--- FAIL: ") {
			return " by " + strings.Fields(strings.TrimSpace(l))[2]
		}
	}
	return ""
}

// copyTree copies the repository's files (tracked and untracked, not ignored) to a temporary
// directory.
func copyTree() (string, error) {
	out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return "", fmt.Errorf("git ls-files (run from the repository root): %v", err)
	}
	dir, err := os.MkdirTemp("", "chartmut-")
	if err != nil {
		return "", err
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		info, err := os.Lstat(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree
			}
			return "", err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "chartmut:", err)
	os.Exit(2)
}
