{{- /*
What the alerts of every backend share: label keys, template variables, runbook texts.
Datadog messages and Prometheus annotations have {{ }} template variables of their own; they
are built with printf here, so Helm prints them verbatim.
*/ -}}

{{- /* batch-monitoring.alertLabels: (dict "ctx" $ "backend" datadog|prometheus|gmp) -> JSON
{"keys": [...], "map": {<recipe key>: <key>}, "ns": "<namespace label>", "job": "<name label>"}: the label keys of the
injected metrics as the backend sees them. A metric label that collides with a target label
arrives as exported_<key> where labels are not honored: always on GMP, and on Prometheus with
prometheus.podMonitor.honorLabels false (the PodMonitor's target labels). */ -}}
{{- define "batch-monitoring.alertLabels" -}}
{{- $r := include "batch-monitoring.recipe" .ctx | fromJson -}}
{{- $protected := list -}}
{{- if eq .backend "gmp" -}}
{{- $protected = list "project_id" "location" "cluster" "namespace" "job" "instance" "container" "pod" "top_level_controller_name" "top_level_controller_type" -}}
{{- else if and (eq .backend "prometheus") (not .ctx.Values.prometheus.podMonitor.honorLabels) -}}
{{- $protected = list "namespace" "pod" "container" "endpoint" "job" "instance" -}}
{{- end -}}
{{- $map := dict -}}
{{- $keys := list -}}
{{- range $r.labelKeys -}}
{{- $k := . -}}
{{- if has . $protected -}}{{- $k = printf "exported_%s" . -}}{{- end -}}
{{- $_ := set $map . $k -}}
{{- $keys = append $keys $k -}}
{{- end -}}
{{- toJson (dict "keys" $keys "map" $map "ns" (index $map $r.namespaceLabel) "job" (index $map $r.nameLabel)) -}}
{{- end -}}

{{- /* batch-monitoring.runbook: (dict "ctx" $ "alert" <name> "ns" <namespace expr> "job" <job expr>)
-> Markdown: what to do, with the re-run procedure. ns and job are the backend's template
expressions for the job's namespace and name. */ -}}
{{- define "batch-monitoring.runbook" -}}
{{- $v := .ctx.Values.runbook -}}
{{- $ns := .ns -}}
{{- $job := .job -}}
{{- $ctrlNs := include "batch-monitoring.controllerNamespace" .ctx -}}
{{- if eq .alert "controllerDown" -}}
**Runbook**
1. Controller pods and the leader: `kubectl -n {{ $ctrlNs }} get pods -l {{ include "batch-monitoring.podSelector" .ctx | fromJson | include "batch-monitoring.selectorString" }}` and `kubectl -n {{ $ctrlNs }} get lease workflow-controller -o jsonpath='{.spec.holderIdentity}'`.
2. Its log: `kubectl -n {{ $ctrlNs }} logs deploy/<controller deployment> --tail=200` (crash loop, RBAC, or leader election errors).
3. The scrape itself: `kubectl -n {{ $ctrlNs }} port-forward <leader pod> {{ .ctx.Values.controller.metrics.port }}` then `curl -sk {{ include "batch-monitoring.scheme" .ctx }}://localhost:{{ .ctx.Values.controller.metrics.port }}{{ .ctx.Values.controller.metrics.path }} | grep argo_workflows_is_leader`. If the controller answers, read the Datadog Agent's (or Prometheus') log for scrape errors (TLS: the controller serves https by default since Argo 3.6).
4. While no controller exports, the job alerts are blind, and a restarted controller starts with no job gauges: jobs reappear at their next run.
{{- else -}}
**Runbook**
1. Recent runs of the job: `argo list -n {{ $ns }} -l workflows.argoproj.io/cron-workflow={{ $job }}`{{ with $v.argoServerURL }} · [Argo UI]({{ trimSuffix "/" . }}/cron-workflows/{{ $ns }}/{{ $job }}){{ end }}
{{- if eq .alert "runningTooLong" }}
2. What the run waits for: `argo get -n {{ $ns }} <workflow>` (the running step, pods Pending or stuck), `argo logs -n {{ $ns }} <workflow>`.
3. If it hangs, stop it (`argo stop -n {{ $ns }} <workflow>`) and re-run: `argo submit -n {{ $ns }} --from cronwf/{{ $job }}` (the stopped run counts as failed until the re-run succeeds); if it is only slow, raise its limit (`argo-metrics-gen.io/run-time-factor`, `argo-metrics-gen.io/max-run-seconds`).
4. The alert resolves when the run ends.
{{- else if eq .alert "missedSchedule" }}
2. The CronWorkflow's state: `kubectl get cronworkflow -n {{ $ns }} {{ $job }} -o yaml`: `status.conditions` (a SpecError or SubmissionError stops every run), `status.active` (with `concurrencyPolicy: Forbid` a run still going blocks every schedule: `argo get` it), `status.lastScheduledTime`, `spec.when` (a false `when` skips runs: raise the job's threshold with `argo-metrics-gen.io/staleness-threshold-seconds`).
3. The controller's log for it: `kubectl -n {{ $ctrlNs }} logs deploy/<controller deployment> | grep {{ $job }}`: `invalid cron workflow` or `could not schedule CronWorkflow` (the spec does not validate, e.g. an unknown `spec.timezone`, which sets no condition; `argo-metrics-gen lint` reports it before you apply). A controller that was down or restarting at the scheduled time skips the run unless `startingDeadlineSeconds` allows it to start late.
4. Once the cause is fixed, run the job now if its output is due: `argo submit -n {{ $ns }} --from cronwf/{{ $job }}`. This alert resolves when the controller starts the next scheduled run (a run submitted by hand does not move `lastScheduledTime`), or when the job is suspended.
{{- else if eq .alert "suspended" }}
2. Who suspended it and when: `kubectl get cronworkflow -n {{ $ns }} {{ $job }} --show-managed-fields -o yaml` (the manager and time of `spec.suspend`).
3. Resume it when the reason is gone: `argo cron resume -n {{ $ns }} {{ $job }}`, or remove `suspend: true` from its manifest (a GitOps tool reverts a resume made by hand); delete it if it is retired.
4. While it is suspended its not-succeeded alert is silent; after a resume, the missed-schedule alert gives it a whole threshold.
{{- else if eq .alert "specError" }}
2. The condition and its message: `kubectl get cronworkflow -n {{ $ns }} {{ $job }} -o jsonpath='{.status.conditions}'`. SpecError: the spec, or a WorkflowTemplate it references, does not validate (`argo lint`, `argo-metrics-gen lint`), or its `stopStrategy` expression fails; the controller starts no run meanwhile. SubmissionError: creating the run was refused (admission webhook, quota, RBAC, a template that disappeared).
3. Fix the spec or what it references. The controller clears the condition when it next validates or submits the job on schedule; this alert resolves then.
{{- else if eq .alert "slowRun" }}
2. Compare the last run with earlier ones: `argo get -n {{ $ns }} <workflow>` shows each step's duration; look for a step that grew (data volume, a slow dependency, throttling, pending pods).
3. A slow run still succeeded; if it risks overlapping the next one, consider `concurrencyPolicy: Forbid` on the CronWorkflow.
{{- else }}
2. Why it did not succeed: `argo get -n {{ $ns }} <workflow>` and `argo logs -n {{ $ns }} <workflow>`{{ if eq .alert "notSucceeded" }}; if there is no recent run at all, check that the CronWorkflow is not suspended and that the controller triggers it (`argo cron get -n {{ $ns }} {{ $job }}`){{ end }}.
3. Fix the cause, then re-run now rather than waiting for the schedule: `argo submit -n {{ $ns }} --from cronwf/{{ $job }}` (UI: Cron Workflows, {{ $job }}, Submit). If the failed run wrote part of its output, make sure the job is safe to re-run first. Do not retry or resubmit the failed run (`argo retry`, `argo resubmit`, the UI's Retry and Resubmit): the controller keeps the failed run's evaluation of the metrics' `when` clauses in that workflow, so even a successful retry reports the job failed and records no success (argo-workflows #12123).
4. The alert resolves by itself when a run started from the CronWorkflow (its schedule, or `argo submit --from`) succeeds. A stopped, terminated or replaced run (`concurrencyPolicy: Replace`) counts as failed; deleting a running workflow changes nothing.
{{- end }}
{{- end }}
{{- with $v.url }}

Team runbook: {{ . }}
{{- end }}
{{- with $v.extraText }}

{{ . }}
{{- end }}
{{- end -}}

{{- /* batch-monitoring.selectorString: a label map -> "k=v,k2=v2". */ -}}
{{- define "batch-monitoring.selectorString" -}}
{{- $parts := list -}}
{{- range $k, $v := . -}}{{- $parts = append $parts (printf "%s=%s" $k $v) -}}{{- end -}}
{{- join "," $parts -}}
{{- end -}}

{{- /* batch-monitoring.seconds: a Prometheus duration of one unit ("35d", "8h", "90s") -> its
seconds, for comparisons with time(). */ -}}
{{- define "batch-monitoring.seconds" -}}
{{- $n := regexFind "^[0-9]+" . | float64 -}}
{{- $u := trimPrefix (regexFind "^[0-9]+" .) . -}}
{{- $per := dict "ms" 0.001 "s" 1 "m" 60 "h" 3600 "d" 86400 "w" 604800 "y" 31536000 -}}
{{- if not (hasKey $per $u) -}}{{- fail (printf "batch-monitoring: %q is not a Prometheus duration of one unit (e.g. 35d)" .) -}}{{- end -}}
{{- $s := mulf $n (get $per $u) -}}
{{- if eq (floor $s) $s -}}{{- int64 $s -}}{{- else -}}{{- $s -}}{{- end -}}
{{- end -}}

{{- /* batch-monitoring.carry: (dict "now" <PromQL> "name" <record>) -> the PromQL of a carried
series: its current value when there is one, else its own last sample of the last hour, else the
hourly group's snapshot (<record>_1h) if taken within the last hour (see promRules). */ -}}
{{- define "batch-monitoring.carry" -}}
{{- printf "%s or last_over_time(%s[1h]) or last_over_time(%s_1h[1h])" .now .name .name -}}
{{- end -}}

{{- /* batch-monitoring.promRules: (dict "ctx" $ "backend" prometheus|gmp) -> the rule groups, as
YAML (a list of {name, interval, rules}; groups without rules are left out). Prometheus evaluates
groups concurrently, each at its own interval, and the rules of a group one after another: what an
alert reads in the same evaluation must be recorded before it, in its group.

Main group argo-cronworkflows, every 1m (the alerts' firing windows are to the minute; the
Prometheus Operator's default would be 30s):
1. cronworkflow:<metric>:leader: one series per job and metric, taken from the leading controller
   (standby and former leaders keep no or old gauges; a controller without is_leader counts as
   leading), so a stale pod's value never outvotes the new leader's. Absent while the controller
   does not export the job: after a restart or a leader change until the job's next run, after
   metricsTTL, during a scrape gap.
2. cronworkflow:last_seen:timestamp: when the job was last exported (any of those series), kept
   while newer than alerts.lookback: a deleted job expires exactly lookback after it was last seen
   (as a range (t-lookback, t] would hold its last sample; timestamps are whole milliseconds, so
   the comparison is with lookback less half a millisecond, which time() minus lookback in
   floating point cannot blur).
3. cronworkflow:<metric>:last: the job's last known value, while the job is not expired.
4. The alerts, on those last known values, in the same evaluation.

Carrying (batch-monitoring.carry) costs O(1) per job and evaluation, whatever alerts.lookback: a
carried series is its current value, else its own sample of the last hour (last_over_time over
1h of a 1/min series). It survives Prometheus outages up to an hour (its last sample before the
outage is still in range); a longer outage breaks the chain, so two slower groups keep snapshots
of every carried series, read back over a window that spans such outages:
- argo-cronworkflows-1h, every hour: <series>_1h = last_over_time(<series>[26h]), else the daily
  snapshot if taken within 25h; and the median duration over alerts.slowRun.window from the
  hourly samples of the duration (168 a week instead of 10,080: the median of the duration over
  time, sampled hourly);
- argo-cronworkflows-1d, every day (24h): <series>_1d = last_over_time(<series>[8d]).
A reader falls back to a snapshot only if it is younger than the window it reads the newer
series over: the main group reads <series>_1h over the last hour (its own window), the hourly
group <series>_1d over 25h (it reads 26h of the carried series). That rule is what keeps a
snapshot from ever replacing a newer value: the carried series is recorded at every evaluation,
so anything newer than the snapshot is within the window read beside it, and wins. A snapshot
older than an outage is therefore never used (it could predate a change just before the outage,
and would then be carried on for good). The price: after an outage of more than an hour, a job
the controller does not export again comes back at the first evaluation of the hourly group
after the restart (Prometheus starts a group at its own offset in its interval: within an hour);
after more than 26 hours (less the time to that evaluation), at the first hourly evaluation after
the daily group's first (within a day and an hour); after more than 8 days (the same), not at all
until the job reports again. Cost per job and carried series, in samples decoded per minute:
about 60 to 180 in the main group (the 1h range and the head chunk it starts in), 26 for the
hourly and 8 for the daily snapshots, independent of alerts.lookback
(charts/batch-monitoring/README.md, Cost at fleet scale). */ -}}
{{- define "batch-monitoring.promRules" -}}
{{- $ctx := .ctx -}}
{{- $r := include "batch-monitoring.recipe" $ctx | fromJson -}}
{{- $l := include "batch-monitoring.alertLabels" (dict "ctx" $ctx "backend" .backend) | fromJson -}}
{{- $by := join ", " $l.keys -}}
{{- $ns := printf "{{ $labels.%s }}" $l.ns -}}
{{- $job := printf "{{ $labels.%s }}" $l.job -}}
{{- $a := $ctx.Values.alerts -}}
{{- $lb := $a.lookback -}}
{{- $extra := ternary $ctx.Values.prometheus.gmp.alertLabels $ctx.Values.prometheus.rules.alertLabels (eq .backend "gmp") -}}
{{- $m := dict -}}
{{- $rec := dict -}}
{{- $last := dict -}}
{{- $rules := list -}}
{{- $carried := list -}}
{{- range $key, $name := $r.metrics -}}
{{- $_ := set $m $key (printf "%s%s" $r.prefix $name) -}}
{{- end -}}
{{- $need := list -}}
{{- if $a.lastRunFailed.enabled -}}{{- $need = append $need "exitCode" -}}{{- end -}}
{{- if and $a.notSucceeded.enabled $m.lastSuccess $m.stalenessThreshold -}}{{- $need = concat $need (list "lastSuccess" "stalenessThreshold") -}}{{- end -}}
{{- $tooLong := and $a.runningTooLong.enabled $m.currentRun $m.duration (or $m.runTimeFactor $m.runTimeLimit) -}}
{{- $streak := and $a.consecutiveFailures.enabled $m.consecutiveFailures $m.failureThreshold -}}
{{- if and (or $a.slowRun.enabled $tooLong) $m.duration -}}{{- $need = append $need "duration" -}}{{- end -}}
{{- if $tooLong -}}{{- $need = append $need "currentRun" -}}{{- with $m.runTimeFactor -}}{{- $need = append $need "runTimeFactor" -}}{{- end -}}{{- with $m.runTimeLimit -}}{{- $need = append $need "runTimeLimit" -}}{{- end -}}{{- end -}}
{{- if $streak -}}{{- $need = concat $need (list "consecutiveFailures" "failureThreshold") -}}{{- if not $a.lastRunFailed.enabled -}}{{- $need = append $need "exitCode" -}}{{- end -}}{{- end -}}
{{- range $key := $need -}}
{{- $metric := get $m $key -}}
{{- $_ := set $rec $key (printf "cronworkflow:%s:leader" $metric) -}}
{{- $rules = append $rules (dict
  "record" (get $rec $key)
  "expr" (printf "max by (%s) ((%s and on (instance) (argo_workflows_is_leader == 1)) or (%s unless on (instance) argo_workflows_is_leader))" $by $metric $metric)) -}}
{{- end -}}
{{- /* The state held per job: every metric but the live current run. */ -}}
{{- $seenNow := list -}}
{{- range $key := $need -}}
{{- if ne $key "currentRun" -}}
{{- $_ := set $last $key (printf "cronworkflow:%s:last" (get $m $key)) -}}
{{- $seenNow = append $seenNow (printf "timestamp(%s)" (get $rec $key)) -}}
{{- end -}}
{{- end -}}
{{- $seen := "cronworkflow:last_seen:timestamp" -}}
{{- if $seenNow -}}
{{- $carried = append $carried $seen -}}
{{- $rules = append $rules (dict
  "record" $seen
  "expr" (printf "(%s) > time() - %s" (include "batch-monitoring.carry" (dict "now" (join " or " $seenNow) "name" $seen)) (subf (include "batch-monitoring.seconds" $lb | float64) 0.0005 | printf "%.4f"))) -}}
{{- end -}}
{{- range $key := $need -}}
{{- with get $last $key -}}
{{- $carried = append $carried . -}}
{{- $rules = append $rules (dict
  "record" .
  "expr" (printf "(%s) and %s" (include "batch-monitoring.carry" (dict "now" (get $rec $key) "name" .)) $seen)) -}}
{{- end -}}
{{- end -}}
{{- /* The median duration, recorded hourly (argo-cronworkflows-1h); read back over a day, so an
hourly evaluation missed at a restart does not matter. */ -}}
{{- $median := "" -}}
{{- if $last.duration -}}{{- $median = printf "last_over_time(cronworkflow:%s:median_1h[1d])" $m.duration -}}{{- end -}}
{{- /* The CronWorkflows' state from kube-state-metrics (_kubestate.tpl): its recording rules come
before every alert, its alerts after the controller-metric ones. */ -}}
{{- $ksm := include "batch-monitoring.ksmRules" (dict "ctx" $ctx "backend" .backend) | fromJson -}}
{{- $rules = concat $rules $ksm.records -}}
{{- if $a.lastRunFailed.enabled -}}
{{- $rules = append $rules (dict
  "alert" "ArgoCronWorkflowLastRunFailed"
  "expr" (printf "%s > 0" $last.exitCode)
  "labels" (merge (dict "severity" $a.lastRunFailed.severity) $extra)
  "annotations" (dict
    "summary" (printf "The last run of CronWorkflow %s/%s failed" $ns $job)
    "description" (printf "The last run of CronWorkflow %s in namespace %s ended Failed or Error. This alert stays firing until a run succeeds.\n\n%s" $job $ns (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "lastRunFailed" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- if and $a.notSucceeded.enabled $m.lastSuccess $m.stalenessThreshold -}}
{{- $rules = append $rules (dict
  "alert" "ArgoCronWorkflowNotSucceededWithinThreshold"
  "expr" (printf "time() - %s > %s%s" $last.lastSuccess $last.stalenessThreshold (ternary (printf " unless %s %s" $ksm.on $ksm.quiet) "" (ne $ksm.quiet "")))
  "labels" (merge (dict "severity" $a.notSucceeded.severity) $extra)
  "annotations" (dict
    "summary" (printf "CronWorkflow %s/%s has not succeeded within its threshold" $ns $job)
    "description" (printf "CronWorkflow %s in namespace %s last succeeded {{ $value | humanizeDuration }} ago, longer than its schedule allows (with kube-state-metrics, this alert is silent while the job is suspended or stopped, and for a threshold after).\n\n%s" $job $ns (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "notSucceeded" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- if and $a.slowRun.enabled $m.duration -}}
{{- $d := $last.duration -}}
{{- $rules = append $rules (dict
  "alert" "ArgoCronWorkflowSlowRun"
  "expr" (printf "(%s > %v * %s) and (%s > %v)" $d $a.slowRun.factor $median $d (int $a.slowRun.minSeconds))
  "labels" (merge (dict "severity" $a.slowRun.severity) $extra)
  "annotations" (dict
    "summary" (printf "The last run of CronWorkflow %s/%s was slower than usual" $ns $job)
    "description" (printf "The last run of CronWorkflow %s in namespace %s took {{ $value | humanizeDuration }}, more than %v times its median duration over %s.\n\n%s" $job $ns $a.slowRun.factor $a.slowRun.window (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "slowRun" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- if $tooLong -}}
{{- /* Running too long: the realtime current_run_seconds grows while a run goes and, after it,
stays at the run's duration as whole seconds (v3.6 removes it instead), within 1 s of the
duration gauge; after a restart it is absent until the controller processes a running run
(test/e2e/README.md). So a run goes while it differs from the last known duration by more
than 1 s, or exists before any duration. The limits are written at completion and carried; the
live current value is used (a held one never grows). The threshold is the lower of factor ×
median duration and the limit, whichever the job has; before its first completion only
firstRunSeconds (0: none). */ -}}
{{- $cur := $rec.currentRun -}}
{{- $dur := $last.duration -}}
{{- $terms := list -}}
{{- with $last.runTimeFactor -}}{{- $terms = append $terms (printf "%s * %s" . $median) -}}{{- end -}}
{{- with $last.runTimeLimit -}}{{- $terms = append $terms . -}}{{- end -}}
{{- $limit := first $terms -}}
{{- if eq (len $terms) 2 -}}{{- $limit = printf "(%s <= %s) or %s or %s" (index $terms 0) (index $terms 1) (index $terms 1) (index $terms 0) -}}{{- end -}}
{{- $over := printf "%s > (%s)" $cur $limit -}}
{{- if gt (int $a.runningTooLong.firstRunSeconds) 0 -}}{{- $over = printf "%s or (%s > %v unless (%s))" $over $cur (int $a.runningTooLong.firstRunSeconds) $limit -}}{{- end -}}
{{- $rules = append $rules (dict
  "alert" "ArgoCronWorkflowRunningTooLong"
  "expr" (printf "(%s) and (abs(%s - %s) > 1 or (%s unless %s))" $over $cur $dur $cur $dur)
  "labels" (merge (dict "severity" $a.runningTooLong.severity) $extra)
  "annotations" (dict
    "summary" (printf "A run of CronWorkflow %s/%s is running too long" $ns $job)
    "description" (printf "The current run of CronWorkflow %s in namespace %s has been running for {{ $value | humanizeDuration }}, longer than its limit (the lower of its run-time factor times its median duration and its maximum run time).\n\n%s" $job $ns (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "runningTooLong" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- if $streak -}}
{{- /* N consecutive failures: consecutive_failures counts in the controller's memory and
vanishes at a restart (the next failure counts 1 again). Two carried series keep when the count
last reached the job's threshold and when a run last succeeded; the alert holds while the first
is later: open from the Nth failure in a row until the next success, across restarts. */ -}}
{{- $reached := printf "cronworkflow:%s:threshold_reached_timestamp" $m.consecutiveFailures -}}
{{- $succeeded := printf "cronworkflow:%s:succeeded_timestamp" $m.exitCode -}}
{{- $carried = concat $carried (list $reached $succeeded) -}}
{{- $rules = append $rules (dict
  "record" $reached
  "expr" (printf "(%s) and %s" (include "batch-monitoring.carry" (dict "now" (printf "timestamp(%s >= %s)" $rec.consecutiveFailures $last.failureThreshold) "name" $reached)) $seen)) -}}
{{- $rules = append $rules (dict
  "record" $succeeded
  "expr" (printf "(%s) and %s" (include "batch-monitoring.carry" (dict "now" (printf "timestamp(%s == 0)" $rec.exitCode) "name" $succeeded)) $seen)) -}}
{{- $rules = append $rules (dict
  "alert" "ArgoCronWorkflowConsecutiveFailures"
  "expr" (printf "%s > (%s or 0 * %s)" $reached $succeeded $reached)
  "labels" (merge (dict "severity" $a.consecutiveFailures.severity) $extra)
  "annotations" (dict
    "summary" (printf "CronWorkflow %s/%s failed its threshold of runs in a row" $ns $job)
    "description" (printf "CronWorkflow %s in namespace %s has failed as many runs in a row as its threshold allows (argo-metrics-gen.io/consecutive-failures). This alert stays firing until a run succeeds.\n\n%s" $job $ns (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "consecutiveFailures" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- $rules = concat $rules $ksm.alerts -}}
{{- if $a.controllerDown.enabled -}}
{{- $sel := ternary "argo_workflows_is_leader" (printf "argo_workflows_is_leader{namespace=%q}" (include "batch-monitoring.controllerNamespace" $ctx)) (eq .backend "gmp") -}}
{{- $rules = append $rules (dict
  "alert" "ArgoWorkflowsControllerNotExporting"
  "expr" (printf "absent(max(%s) == 1)" $sel)
  "for" $a.controllerDown.for
  "labels" (merge (dict "severity" $a.controllerDown.severity) $extra)
  "annotations" (dict
    "summary" "No Argo workflow-controller exports metrics as leader"
    "description" (printf "No workflow-controller in namespace %s has exported argo_workflows_is_leader == 1 for %s: the controller is down, no leader is elected, or the scrape fails. CronWorkflow alerts hold each job's last known state meanwhile (for %s).\n\n%s" (include "batch-monitoring.controllerNamespace" $ctx) $a.controllerDown.for $lb (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "controllerDown" "ns" "" "job" ""))))) -}}
{{- end -}}
{{- range $rule := $rules -}}
{{- if $rule.alert -}}
{{- with $ctx.Values.runbook.url -}}{{- $_ := set $rule.annotations "runbook_url" . -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- /* The snapshots of the slower groups, and the hourly median. */ -}}
{{- $hourly := list -}}
{{- $daily := list -}}
{{- range $carried -}}
{{- $hourly = append $hourly (dict "record" (printf "%s_1h" .) "expr" (printf "last_over_time(%s[26h]) or last_over_time(%s_1d[25h])" . .)) -}}
{{- $daily = append $daily (dict "record" (printf "%s_1d" .) "expr" (printf "last_over_time(%s[8d])" .)) -}}
{{- end -}}
{{- if $median -}}
{{- $hourly = append $hourly (dict
  "record" (printf "cronworkflow:%s:median_1h" $m.duration)
  "expr" (printf "quantile_over_time(0.5, %s_1h[%s])" $last.duration $a.slowRun.window)) -}}
{{- end -}}
{{- $groups := list -}}
{{- if $rules -}}
{{- $groups = append $groups (dict "name" "argo-cronworkflows" "interval" "1m" "rules" $rules) -}}
{{- end -}}
{{- if $hourly -}}
{{- $groups = append $groups (dict "name" "argo-cronworkflows-1h" "interval" "1h" "rules" $hourly) -}}
{{- end -}}
{{- if $daily -}}
{{- $groups = append $groups (dict "name" "argo-cronworkflows-1d" "interval" "24h" "rules" $daily) -}}
{{- end -}}
{{- toYaml $groups -}}
{{- end -}}

{{- /* batch-monitoring.groupsYAML: a list of rule groups (from promRules) -> readable YAML. */ -}}
{{- define "batch-monitoring.groupsYAML" -}}
{{- range . }}
- name: {{ .name }}
  interval: {{ .interval }}
  rules:
    {{- include "batch-monitoring.rulesYAML" .rules | trim | nindent 4 }}
{{- end }}
{{- end -}}

{{- /* batch-monitoring.rulesYAML: a list of rules (from promRules) -> readable YAML. */ -}}
{{- define "batch-monitoring.rulesYAML" -}}
{{- range . }}
{{- if .record }}
- record: {{ .record }}
  expr: {{ .expr | quote }}
{{- else }}
- alert: {{ .alert }}
  expr: {{ .expr | quote }}
  {{- with .for }}
  for: {{ . }}
  {{- end }}
  labels:
    {{- toYaml .labels | nindent 4 }}
  annotations:
    summary: {{ .annotations.summary | quote }}
    description: |-
      {{- .annotations.description | nindent 6 }}
    {{- with .annotations.runbook_url }}
    runbook_url: {{ . | quote }}
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}
