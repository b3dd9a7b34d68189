{{- /*
Datadog collection: one check configuration, used by the endpoints-check Service, the
pod-annotation snippets and the Kustomize component (generated from the snippets).
*/ -}}

{{- /* batch-monitoring.datadogMetrics: the metrics the check collects, as JSON:
{"extra": [{"<exported name>": {"name": ..., "type": ...}}, ...], "names": {"<key>": "argo_workflows.<name>"}}.
Types: gauges (the run-state ones too, when the recipe has them), except last_success_timestamp, collected as time_elapsed (seconds since). */ -}}
{{- define "batch-monitoring.datadogMetrics" -}}
{{- $r := include "batch-monitoring.recipe" . | fromJson -}}
{{- $types := dict "exitCode" "gauge" "duration" "gauge" "lastSuccess" "time_elapsed" "stalenessThreshold" "gauge" -}}
{{- $extra := list -}}
{{- $names := dict -}}
{{- range $key := list "exitCode" "duration" "lastSuccess" "stalenessThreshold" "currentRun" "runTimeFactor" "runTimeLimit" "consecutiveFailures" "failureThreshold" -}}
{{- with index $r.metrics $key -}}
{{- $extra = append $extra (dict (printf "%s%s" $r.prefix .) (dict "name" . "type" (get $types $key | default "gauge"))) -}}
{{- $_ := set $names $key (printf "argo_workflows.%s" .) -}}
{{- end -}}
{{- end -}}
{{- if .Values.datadog.collectLeaderMetric -}}
{{- $extra = append $extra (dict "argo_workflows_is_leader" (dict "name" "is_leader" "type" "gauge")) -}}
{{- $_ := set $names "isLeader" "argo_workflows.is_leader" -}}
{{- end -}}
{{- toJson (dict "extra" $extra "names" $names) -}}
{{- end -}}

{{- /* batch-monitoring.datadogCheck: the Autodiscovery check configuration, as compact JSON:
{"<check>": {"init_config": {}, "instances": [...]}}. */ -}}
{{- define "batch-monitoring.datadogCheck" -}}
{{- $m := include "batch-monitoring.datadogMetrics" . | fromJson -}}
{{- $c := .Values.controller.metrics -}}
{{- $instance := dict
  "openmetrics_endpoint" (printf "%s://%s:%v%s" (include "batch-monitoring.scheme" .) "%%host%%" (int $c.port) $c.path)
  "tag_by_endpoint" false -}}
{{- if $c.secure -}}
{{- $_ := set $instance "tls_verify" false -}}
{{- $_ := set $instance "tls_ignore_warning" true -}}
{{- end -}}
{{- if eq .Values.datadog.check "openmetrics" -}}
{{- $_ := set $instance "namespace" "argo_workflows" -}}
{{- $_ := set $instance "metrics" $m.extra -}}
{{- else -}}
{{- $_ := set $instance "extra_metrics" $m.extra -}}
{{- end -}}
{{- with .Values.datadog.tags -}}
{{- $_ := set $instance "tags" . -}}
{{- end -}}
{{- $instance = mergeOverwrite $instance (deepCopy .Values.datadog.instanceOverrides) -}}
{{- toJson (dict .Values.datadog.check (dict "init_config" (dict) "instances" (list $instance))) -}}
{{- end -}}

{{- /* batch-monitoring.datadogPodAnnotations: the controller pod-template annotation, as YAML. */ -}}
{{- define "batch-monitoring.datadogPodAnnotations" -}}
{{ printf "ad.datadoghq.com/%s.checks" (include "batch-monitoring.containerName" .) }}: {{ include "batch-monitoring.datadogCheck" . | include "batch-monitoring.squote" }}
{{- end -}}

{{- /* batch-monitoring.argoHelmValues: values fragment for the argo-workflows chart. */ -}}
{{- define "batch-monitoring.argoHelmValues" -}}
controller:
  podAnnotations:
    {{- include "batch-monitoring.datadogPodAnnotations" . | nindent 4 }}
{{- end -}}

{{- /* batch-monitoring.squote: a string as a YAML single-quoted scalar. */ -}}
{{- define "batch-monitoring.squote" -}}
{{- printf "'%s'" (replace "'" "''" .) -}}
{{- end -}}
