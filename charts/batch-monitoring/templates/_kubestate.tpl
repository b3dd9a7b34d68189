{{- /*
CronWorkflow state from the API server, through kube-state-metrics' custom resource state
metrics: the configuration (for a kube-state-metrics you run, for kube-prometheus-stack's, and
for the Datadog Cluster Agent's kubernetes_state_core check), the RBAC it needs, and the
recording rules and alerts that read it. Without kube-state-metrics the series are absent: the
rules that join them change nothing and the alerts on them stay silent.
*/ -}}

{{- /* batch-monitoring.ksmMetrics: the metric names kube-state-metrics exports with the
Prometheus configuration (metricNamePrefix argo_cronworkflow), as JSON. */ -}}
{{- define "batch-monitoring.ksmMetrics" -}}
{{- $names := dict -}}
{{- range $k, $v := dict "suspended" "suspended" "phase" "phase" "lastScheduled" "last_scheduled_time_seconds" "created" "created_time_seconds" "active" "active_workflow_info" "condition" "condition" "info" "spec_info" "schedule" "schedule_info" "threshold" "staleness_threshold_seconds" -}}
{{- $_ := set $names $k (printf "argo_cronworkflow_%s" $v) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{- /* batch-monitoring.ksmResource: (dict "ctx" $ "datadog" bool) -> the CustomResourceStateMetrics
resource of CronWorkflows, as a YAML list item. Labels: the recipe's namespace and name label
keys, so the series join the controller's, and its other label keys (static, fromResource, a
job's annotation) with the values argo-metrics-gen wrote into the job's exit-code metric, so the
state alerts carry the same owner labels as the controller's and route alike (a job without our
metrics has none). The Datadog flavour (kubernetes_state_core, Cluster
Agent 7.63+) keeps what its monitors read and no free-text label (Datadog lowercases tag values
and bills each one), and has no metricNamePrefix: the Agent names the metrics
kubernetes_state_customresource.<name> and tags `namespace` as kube_namespace. */ -}}
{{- define "batch-monitoring.ksmResource" -}}
{{- $r := include "batch-monitoring.recipe" .ctx | fromJson -}}
{{- $p := ternary "argo_cronworkflow_" "" .datadog -}}
- groupVersionKind: {group: argoproj.io, version: v1alpha1, kind: CronWorkflow}
  {{- if not .datadog }}
  metricNamePrefix: argo_cronworkflow
  {{- end }}
  labelsFromPath:
    {{ ternary "namespace" $r.namespaceLabel .datadog }}: [metadata, namespace]
    {{ $r.nameLabel }}: [metadata, name]
    {{- range without $r.labelKeys $r.namespaceLabel $r.nameLabel }}
    {{ . }}: [spec, workflowSpec, metrics, prometheus, "[name={{ $r.metrics.exitCode }}]", labels, "[key={{ . }}]", value]
    {{- end }}
  metrics:
    - name: {{ $p }}suspended
      help: "1 while the CronWorkflow is suspended (spec.suspend), else 0"
      each:
        type: Gauge
        gauge: {path: [spec, suspend], nilIsZero: true}
    - name: {{ $p }}condition
      help: "1 for each condition the controller set on the CronWorkflow (SpecError, SubmissionError), labelled with its type{{ if not .datadog }} and message{{ end }}; no series without one"
      each:
        type: Gauge
        gauge:
          path: [status, conditions]
          valueFrom: [status]
          labelsFromPath:
            type: [type]
            {{- if not .datadog }}
            message: [message]
            {{- end }}
    {{- if not .datadog }}
    - name: phase
      help: "status.phase of the CronWorkflow (Argo v3.6+; Stopped once its stopStrategy fired), one series per phase, 1 for the current one; none before the first run"
      each:
        type: StateSet
        stateSet: {path: [status, phase], labelName: phase, list: [Active, Stopped]}
    - name: last_scheduled_time_seconds
      help: "status.lastScheduledTime (Unix seconds): the scheduled time of the last run the controller started; 0 before the first"
      each:
        type: Gauge
        gauge: {path: [status, lastScheduledTime], nilIsZero: true}
    - name: created_time_seconds
      help: "metadata.creationTimestamp of the CronWorkflow (Unix seconds)"
      each:
        type: Gauge
        gauge: {path: [metadata, creationTimestamp]}
    - name: active_workflow_info
      help: "One series per run the controller counts as active (status.active), labelled with the workflow's name"
      each:
        type: Info
        info: {path: [status, active], labelsFromPath: {workflow: [name]}}
    - name: spec_info
      help: "Schedule settings of the CronWorkflow: timezone, concurrencyPolicy and spec.schedule (spec.schedules: argo_cronworkflow_schedule_info)"
      each:
        type: Info
        info:
          path: []
          labelsFromPath:
            {{ $r.nameLabel }}: [metadata, name]
            timezone: [spec, timezone]
            concurrency_policy: [spec, concurrencyPolicy]
            schedule: [spec, schedule]
    - name: schedule_info
      help: "One series per entry of spec.schedules (Argo v3.6+)"
      each:
        type: Info
        info: {path: [spec, schedules], labelsFromPath: {schedule: []}}
    {{- with $r.metrics.stalenessThreshold }}
    {{- /* The threshold argo-metrics-gen wrote into the job's own metric definition. A job
    without it (not injected) has no series, which is no error worth a log line (errorLogV). */}}
    - name: staleness_threshold_seconds
      help: "The staleness threshold argo-metrics-gen wrote into the CronWorkflow's metrics (seconds): its longest gap between scheduled runs plus grace"
      errorLogV: 4
      each:
        type: Gauge
        gauge: {path: [spec, workflowSpec, metrics, prometheus, "[name={{ . }}]", gauge, value]}
    {{- end }}
    {{- end }}
{{- end -}}

{{- /* batch-monitoring.ksmConfig: the kube-state-metrics configuration file (Prometheus
flavour), as YAML: --custom-resource-state-config-file, or kube-state-metrics'
customResourceState.config. */ -}}
{{- define "batch-monitoring.ksmConfig" -}}
kind: CustomResourceStateMetrics
spec:
  resources:
    {{- include "batch-monitoring.ksmResource" (dict "ctx" . "datadog" false) | nindent 4 }}
{{- end -}}

{{- /* batch-monitoring.ksmRBACRules: the ClusterRole rules kube-state-metrics needs for this
configuration: list/watch CronWorkflows, and the CRDs it discovers them through. */ -}}
{{- define "batch-monitoring.ksmRBACRules" -}}
- apiGroups: [argoproj.io]
  resources: [cronworkflows]
  verbs: [list, watch]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [list, watch]
{{- end -}}

{{- /* batch-monitoring.ksmKubePrometheusStackValues: what a kube-prometheus-stack user adds
to its values. */ -}}
{{- define "batch-monitoring.ksmKubePrometheusStackValues" -}}
kube-state-metrics:
  rbac:
    extraRules:
      {{- include "batch-monitoring.ksmRBACRules" . | nindent 6 }}
  customResourceState:
    enabled: true
    config:
      {{- include "batch-monitoring.ksmConfig" . | nindent 6 }}
{{- end -}}

{{- /* batch-monitoring.ksmDatadogValues: what a Datadog Helm chart user adds to its values
(datadog-operator: the same list under spec.features.kubeStateMetricsCore.collectCrMetrics). */ -}}
{{- define "batch-monitoring.ksmDatadogValues" -}}
datadog:
  kubeStateMetricsCore:
    collectCrMetrics:
      {{- include "batch-monitoring.ksmResource" (dict "ctx" . "datadog" true) | nindent 6 }}
{{- end -}}

{{- /* batch-monitoring.ksmLabels: (dict "ctx" $ "backend" prometheus|gmp) -> JSON {"ns": ...,
"job": ..., "keys": {<recipe label key>: ...}}: the label keys of the CronWorkflow's namespace
and name, and of every recipe label key, on kube-state-metrics' series as the backend stores them. Its scrape has target labels of its own (namespace, pod,
service, job, ...): with honorLabels (kube-prometheus-stack's default) the series keep theirs,
otherwise, and always on GMP, a colliding key arrives as exported_<key>. */ -}}
{{- define "batch-monitoring.ksmLabels" -}}
{{- $r := include "batch-monitoring.recipe" .ctx | fromJson -}}
{{- $protected := list -}}
{{- if eq .backend "gmp" -}}
{{- $protected = list "project_id" "location" "cluster" "namespace" "job" "instance" "container" "pod" "top_level_controller_name" "top_level_controller_type" -}}
{{- else if not .ctx.Values.kubeStateMetrics.honorLabels -}}
{{- $protected = list "namespace" "pod" "container" "endpoint" "service" "job" "instance" -}}
{{- end -}}
{{- $keys := dict -}}
{{- range $r.labelKeys -}}
{{- $_ := set $keys . (ternary (printf "exported_%s" .) . (has . $protected)) -}}
{{- end -}}
{{- toJson (dict "ns" (get $keys $r.namespaceLabel) "job" (get $keys $r.nameLabel) "keys" $keys) -}}
{{- end -}}

{{- /* batch-monitoring.ksmJobs: (dict "ctx" $ "backend" b "expr" <PromQL on kube-state-metrics'
series> "by" <extra label keys, optional>) -> PromQL: expr per job, on the alert label keys (the
namespace, the name and the job's other labels; label_replace where kube-state-metrics' keys
differ from the controller's). */ -}}
{{- define "batch-monitoring.ksmJobs" -}}
{{- $l := include "batch-monitoring.alertLabels" (dict "ctx" .ctx "backend" .backend) | fromJson -}}
{{- $k := include "batch-monitoring.ksmLabels" (dict "ctx" .ctx "backend" .backend) | fromJson -}}
{{- $e := .expr -}}
{{- range $key, $stored := $k.keys -}}
{{- $want := get $l.map $key -}}
{{- if ne $stored $want -}}{{- $e = printf "label_replace(%s, %q, \"$1\", %q, \"(.*)\")" $e $want $stored -}}{{- end -}}
{{- end -}}
{{- printf "max by (%s) (%s)" (join ", " (concat $l.keys (.by | default list))) $e -}}
{{- end -}}

{{- /* batch-monitoring.ksmRules: (dict "ctx" $ "backend" prometheus|gmp) -> JSON {"records":
[...], "alerts": [...], "quiet": <series>, "on": "on (<namespace key>, <name key>)"}: the
recording rules of the job state (before the alerts in the group), the alerts on it, and the
series of the jobs the not-succeeded alert leaves out ("" when nothing records it).

Suspended or stopped jobs start no runs on purpose. The last moment a job was seen suspended or
stopped is recorded: the evaluation time while it is; afterwards the rule carries its own last
value (over 1h of its samples) for as long as it is less than the job's staleness threshold ago,
then drops it (and with the job). A job with that series is quiet: it still is suspended or
stopped, or was resumed less than a threshold ago and had no chance to run yet. The threshold is
the one argo-metrics-gen wrote into the job's metrics (its longest gap between scheduled runs
plus grace), read from the CronWorkflow by kube-state-metrics; the carry reads it over 1h, so
a kube-state-metrics outage shorter than that changes nothing. */ -}}
{{- define "batch-monitoring.ksmRules" -}}
{{- $ctx := .ctx -}}
{{- $a := $ctx.Values.alerts -}}
{{- $r := include "batch-monitoring.recipe" $ctx | fromJson -}}
{{- $m := include "batch-monitoring.ksmMetrics" $ctx | fromJson -}}
{{- $l := include "batch-monitoring.alertLabels" (dict "ctx" $ctx "backend" .backend) | fromJson -}}
{{- $on := printf "on (%s, %s)" $l.ns $l.job -}}
{{- $ns := printf "{{ $labels.%s }}" $l.ns -}}
{{- $job := printf "{{ $labels.%s }}" $l.job -}}
{{- $extra := ternary $ctx.Values.prometheus.gmp.alertLabels $ctx.Values.prometheus.rules.alertLabels (eq .backend "gmp") -}}
{{- $jobs := dict "ctx" $ctx "backend" .backend -}}
{{- $rec := dict "suspended" (printf "cronworkflow:%s:max" $m.suspended) "stopped" "cronworkflow:argo_cronworkflow_stopped:max" "threshold" (printf "cronworkflow:%s:max" $m.threshold) "scheduled" (printf "cronworkflow:%s:or_created" $m.lastScheduled) "pausedAt" "cronworkflow:argo_cronworkflow_paused:last_timestamp" -}}
{{- $records := list -}}
{{- $alerts := list -}}
{{- $quiet := "" -}}
{{- $pause := and $r.metrics.stalenessThreshold (or $a.notSucceeded.enabled $a.missedSchedule.enabled) -}}
{{- if or $pause $a.suspended.enabled -}}
{{- $records = append $records (dict "record" $rec.suspended "expr" (include "batch-monitoring.ksmJobs" (merge (dict "expr" $m.suspended) $jobs))) -}}
{{- end -}}
{{- if $pause -}}
{{- $records = append $records (dict "record" $rec.stopped "expr" (include "batch-monitoring.ksmJobs" (merge (dict "expr" (printf "%s{phase=\"Stopped\"}" $m.phase)) $jobs))) -}}
{{- $records = append $records (dict "record" $rec.threshold "expr" (include "batch-monitoring.ksmJobs" (merge (dict "expr" $m.threshold) $jobs))) -}}
{{- $records = append $records (dict "record" $rec.pausedAt "expr" (printf "timestamp(%s == 1 or %s == 1) or (last_over_time(%s[1h]) > time() - last_over_time(%s[1h]))" $rec.suspended $rec.stopped $rec.pausedAt $rec.threshold)) -}}
{{- $quiet = $rec.pausedAt -}}
{{- end -}}
{{- if and $pause $a.missedSchedule.enabled -}}
{{- /* Missed schedule: the controller started no run for longer than the job's threshold,
counted from the latest of its last scheduled run, its creation (a job never run) and the last
moment it was suspended or stopped. */ -}}
{{- $created := include "batch-monitoring.ksmJobs" (merge (dict "expr" $m.created) $jobs) -}}
{{- $records = append $records (dict "record" $rec.scheduled "expr" (printf "%s > %s or %s" (include "batch-monitoring.ksmJobs" (merge (dict "expr" $m.lastScheduled) $jobs)) $created $created)) -}}
{{- $alerts = append $alerts (dict
  "alert" "ArgoCronWorkflowMissedSchedule"
  "expr" (printf "time() - (%s > %s or %s) > %s" $rec.pausedAt $rec.scheduled $rec.scheduled $rec.threshold)
  "labels" (merge (dict "severity" $a.missedSchedule.severity) $extra)
  "annotations" (dict
    "summary" (printf "CronWorkflow %s/%s has not been started on schedule" $ns $job)
    "description" (printf "The workflow-controller has not started a run of CronWorkflow %s in namespace %s for {{ $value | humanizeDuration }}, longer than its longest gap between scheduled runs plus grace, and the job is neither suspended nor stopped. Nothing ran, so nothing failed: the cause is the schedule, the controller, or the spec.\n\n%s" $job $ns (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "missedSchedule" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- if $a.suspended.enabled -}}
{{- $alerts = append $alerts (dict
  "alert" "ArgoCronWorkflowSuspended"
  "expr" (printf "%s == 1" $rec.suspended)
  "for" $a.suspended.after
  "labels" (merge (dict "severity" $a.suspended.severity) $extra)
  "annotations" (dict
    "summary" (printf "CronWorkflow %s/%s has been suspended for more than %s" $ns $job $a.suspended.after)
    "description" (printf "CronWorkflow %s in namespace %s has been suspended (spec.suspend) for more than %s: it starts no runs, and its not-succeeded alert is silent meanwhile.\n\n%s" $job $ns $a.suspended.after (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "suspended" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- if $a.specError.enabled -}}
{{- $alerts = append $alerts (dict
  "alert" "ArgoCronWorkflowSpecError"
  "expr" (include "batch-monitoring.ksmJobs" (merge (dict "expr" (printf "%s{type=~\"SpecError|SubmissionError\"} == 1" $m.condition) "by" (list "type" "message")) $jobs))
  "labels" (merge (dict "severity" $a.specError.severity) $extra)
  "annotations" (dict
    "summary" (printf "CronWorkflow %s/%s has a {{ $labels.type }} condition" $ns $job)
    "description" (printf "The workflow-controller set a {{ $labels.type }} condition on CronWorkflow %s in namespace %s: {{ $labels.message }}\n\n%s" $job $ns (include "batch-monitoring.runbook" (dict "ctx" $ctx "alert" "specError" "ns" $ns "job" $job))))) -}}
{{- end -}}
{{- toJson (dict "records" $records "alerts" $alerts "quiet" $quiet "on" $on) -}}
{{- end -}}
