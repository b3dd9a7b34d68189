{{- /* Names, labels and the facts every template shares. */ -}}

{{- define "batch-monitoring.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "batch-monitoring.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.objectName: (list $ "suffix") -> "<fullname>-suffix", DNS-label safe. */ -}}
{{- define "batch-monitoring.objectName" -}}
{{- $full := include "batch-monitoring.fullname" (index . 0) -}}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len (index . 1)))) | trimSuffix "-") (index . 1) -}}
{{- end -}}

{{- define "batch-monitoring.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "batch-monitoring.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: batch-monitoring
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- /* batch-monitoring.objectLabels: (dict "ctx" $ "component" "<name>" "extra" <map>) -> the chart's
labels, the component, then extra labels (which win), without duplicate keys. */ -}}
{{- define "batch-monitoring.objectLabels" -}}
{{- $l := include "batch-monitoring.labels" .ctx | fromYaml -}}
{{- with .component }}{{ $_ := set $l "app.kubernetes.io/component" . }}{{ end -}}
{{- toYaml (mergeOverwrite $l (deepCopy (.extra | default dict))) -}}
{{- end -}}

{{- define "batch-monitoring.controllerNamespace" -}}
{{- .Values.controller.namespace | default .Release.Namespace -}}
{{- end -}}

{{- define "batch-monitoring.containerName" -}}
{{- if .Values.controller.containerName -}}
{{- .Values.controller.containerName -}}
{{- else if eq .Values.controller.flavour "upstream" -}}
workflow-controller
{{- else -}}
controller
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.podSelector: the controller pods' labels, as JSON. */ -}}
{{- define "batch-monitoring.podSelector" -}}
{{- if .Values.controller.podSelector -}}
{{- toJson .Values.controller.podSelector -}}
{{- else if eq .Values.controller.flavour "upstream" -}}
{{- toJson (dict "app" "workflow-controller") -}}
{{- else -}}
{{- toJson (dict "app.kubernetes.io/component" "workflow-controller") -}}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.render: (dict "mode" auto|always|never "apis" (list ...) "ctx" $) -> "true"
when the objects must render: forced, or every API is served by the cluster. */ -}}
{{- define "batch-monitoring.render" -}}
{{- if eq .mode "always" -}}
true
{{- else if eq .mode "auto" -}}
{{- $ok := true -}}
{{- range .apis -}}
{{- if not ($.ctx.Capabilities.APIVersions.Has .) -}}{{- $ok = false -}}{{- end -}}
{{- end -}}
{{- if $ok -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{- define "batch-monitoring.renderDatadogMonitors" -}}
{{- include "batch-monitoring.render" (dict "mode" .Values.datadog.monitors.create "apis" (list "datadoghq.com/v1alpha1/DatadogMonitor") "ctx" .) -}}
{{- end -}}
{{- define "batch-monitoring.renderDatadogDashboard" -}}
{{- include "batch-monitoring.render" (dict "mode" .Values.dashboards.datadog.create "apis" (list "datadoghq.com/v1alpha1/DatadogDashboard") "ctx" .) -}}
{{- end -}}
{{- define "batch-monitoring.renderPodMonitor" -}}
{{- include "batch-monitoring.render" (dict "mode" .Values.prometheus.podMonitor.create "apis" (list "monitoring.coreos.com/v1/PodMonitor") "ctx" .) -}}
{{- end -}}
{{- define "batch-monitoring.renderPrometheusRule" -}}
{{- include "batch-monitoring.render" (dict "mode" .Values.prometheus.rules.create "apis" (list "monitoring.coreos.com/v1/PrometheusRule") "ctx" .) -}}
{{- end -}}
{{- define "batch-monitoring.renderGMP" -}}
{{- include "batch-monitoring.render" (dict "mode" .Values.prometheus.gmp.create "apis" (list "monitoring.googleapis.com/v1/PodMonitoring" "monitoring.googleapis.com/v1/Rules") "ctx" .) -}}
{{- end -}}

{{- /* batch-monitoring.scheme: https when the controller serves TLS. */ -}}
{{- define "batch-monitoring.scheme" -}}
{{- if .Values.controller.metrics.secure -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{- /* batch-monitoring.durationMinutes: "15m" / "2h" -> minutes. */ -}}
{{- define "batch-monitoring.durationMinutes" -}}
{{- $n := int (trimSuffix "m" (trimSuffix "h" .)) -}}
{{- if hasSuffix "h" . -}}{{- mul $n 60 -}}{{- else -}}{{- $n -}}{{- end -}}
{{- end -}}

{{- /* batch-monitoring.checkAlertLabels: (dict "ctx" $ "path" <values path> "labels" <alert labels>):
a label added to every alert must not be one of the metrics' labels (e.g. team from
argoMetricsConfig.spec.labels.fromResource): the rule's value would replace each job's. */ -}}
{{- define "batch-monitoring.checkAlertLabels" -}}
{{- $r := include "batch-monitoring.recipe" .ctx | fromJson -}}
{{- range $k, $_ := .labels -}}
{{- if has $k $r.labelKeys -}}
{{- fail (printf "%s.%s: %s is a label of the metrics (argoMetricsConfig); an alert label of that name would replace each job's own value. Route on the metrics' label instead" $.path $k $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.datadogWindow: "90s" / "30m" / "2h" / "7d" -> a Datadog evaluation window,
last_2m / last_30m / last_2h / last_168h (Datadog's custom windows count whole minutes and hours). */ -}}
{{- define "batch-monitoring.datadogWindow" -}}
{{- if hasSuffix "d" . -}}
{{- printf "last_%dh" (mul (int (trimSuffix "d" .)) 24) -}}
{{- else if hasSuffix "s" . -}}
{{- printf "last_%dm" (div (add (int (trimSuffix "s" .)) 59) 60) -}}
{{- else -}}
{{- printf "last_%s" . -}}
{{- end -}}
{{- end -}}
