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

{{- /* batch-monitoring.datadogRoute: (dict "route" .Values.datadog.monitors.route "labels" <the
monitors' group labels>) -> the routing part of a job monitor's message: per value of the label,
its handles inside Datadog's conditional {{#is_exact_match "<label>.name" "<value>"}} (the group's
tag value, exactly), and the unmatched handles inside its negation over every listed value. */ -}}
{{- define "batch-monitoring.datadogRoute" -}}
{{- $r := .route -}}
{{- with $r.label -}}
{{- $label := . -}}
{{- if not (has $label $.labels) -}}
{{- fail (printf "datadog.monitors.route.label: %q is not a label of the metrics (%s): declare it in argoMetricsConfig.spec.labels (fromResource or static)" $label (join ", " $.labels)) -}}
{{- end -}}
{{- $lines := list -}}
{{- $values := list -}}
{{- range $value, $handles := $r.handles -}}
{{- $lines = append $lines (printf "{{#is_exact_match \"%s.name\" \"%s\"}}%s{{/is_exact_match}}" $label $value (join " " $handles)) -}}
{{- $values = append $values (printf "%q" $value) -}}
{{- end -}}
{{- with $r.unmatched -}}
{{- if $values -}}
{{- $lines = append $lines (printf "{{^is_exact_match \"%s.name\" %s}}%s{{/is_exact_match}}" $label (join " " $values) (join " " .)) -}}
{{- else -}}
{{- $lines = append $lines (join " " .) -}}
{{- end -}}
{{- end -}}
{{- with $lines -}}
{{- printf "\n\n%s" (join "\n" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
