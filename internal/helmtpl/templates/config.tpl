{{- /* batch-monitoring.config: (dict "config" <ArgoMetricsConfig as a dict, or nil> "path" <prefix
of error paths, e.g. "argoMetricsConfig.">) -> the configuration completed with its defaults, as
JSON: {"metrics": {<key>: {"enabled", "name", "help"}}, "labels": {"namespace", "name", "static",
"fromResource": {<key>: {"label", "default"}}}, "runTime": {"factor"}, "consecutiveFailures":
{"threshold"}, "staleness": {"expectedDurationSeconds"}}. It refuses what argo-metrics-gen's
loader refuses among the fields the chart reads, with the loader's messages (the chart's
values.schema.json also checks the others: kinds, selector, takeOver, metadata). */ -}}
{{- define "batch-monitoring.config" -}}
{{- $p := .path | default "" -}}
{{- $in := .config | default dict -}}
{{- if not (kindIs "map" $in) -}}{{- fail (printf "%s: expected a mapping" (trimSuffix "." $p)) -}}{{- end -}}
{{- $d := include "batch-monitoring.configDefaults" . | fromJson -}}
{{- $spec := $in.spec | default dict -}}
{{- $out := dict "runTime" (dict "factor" $d.runTime.factor) "consecutiveFailures" (dict "threshold" $d.consecutiveFailures.threshold) "staleness" (dict "expectedDurationSeconds" $d.staleness.expectedDurationSeconds) -}}
{{- $f := ($spec.runTime | default dict).factor -}}
{{- if not (kindIs "invalid" $f) -}}
{{- if or (le (float64 $f) 0.0) (gt (float64 $f) 1000000.0) -}}
{{- fail (printf "%sspec.runTime.factor: must be a number above 0 and at most 1000000, got %v" $p (float64 $f)) -}}
{{- end -}}
{{- $_ := set $out.runTime "factor" (float64 $f) -}}
{{- end -}}
{{- $ft := ($spec.consecutiveFailures | default dict).threshold -}}
{{- if not (kindIs "invalid" $ft) -}}
{{- if or (lt (int64 $ft) 1) (ne (float64 (int64 $ft)) (float64 $ft)) -}}
{{- fail (printf "%sspec.consecutiveFailures.threshold: must be at least 1" $p) -}}
{{- end -}}
{{- $_ := set $out.consecutiveFailures "threshold" (int64 $ft) -}}
{{- end -}}
{{- $ed := ($spec.staleness | default dict).expectedDurationSeconds -}}
{{- if not (kindIs "invalid" $ed) -}}
{{- if or (lt (float64 $ed) 0.0) (ne (float64 (int64 $ed)) (float64 $ed)) -}}
{{- fail (printf "%sspec.staleness.expectedDurationSeconds: must not be negative" $p) -}}
{{- end -}}
{{- $_ := set $out.staleness "expectedDurationSeconds" (int64 $ed) -}}
{{- end -}}
{{- /* Metrics: exitCode, duration, lastSuccess and stalenessThreshold are on by default,
currentRun and consecutiveFailures off, each threshold gauge follows its metric. */ -}}
{{- $metricsIn := $spec.metrics | default dict -}}
{{- $metrics := dict -}}
{{- $seen := dict -}}
{{- range $key := list "exitCode" "duration" "lastSuccess" "stalenessThreshold" "currentRun" "runTimeFactor" "runTimeLimit" "consecutiveFailures" "failureThreshold" -}}
{{- $m := get $metricsIn $key | default dict -}}
{{- $def := get $d.metrics $key -}}
{{- $on := not (has $key (list "currentRun" "consecutiveFailures" "runTimeFactor" "runTimeLimit" "failureThreshold")) -}}
{{- if has $key (list "runTimeFactor" "runTimeLimit") -}}{{- $on = (get $metrics "currentRun").enabled -}}{{- end -}}
{{- if eq $key "failureThreshold" -}}{{- $on = (get $metrics "consecutiveFailures").enabled -}}{{- end -}}
{{- if kindIs "bool" $m.enabled -}}{{- $on = $m.enabled -}}{{- end -}}
{{- $_ := set $metrics $key (dict "enabled" $on "name" (toString ($m.name | default $def.name)) "help" (toString ($m.help | default $def.help))) -}}
{{- end -}}
{{- if not $metrics.exitCode.enabled -}}
{{- fail (printf "%sspec.metrics.exitCode.enabled: exit_code is the core metric and cannot be disabled" $p) -}}
{{- end -}}
{{- range $key := list "exitCode" "duration" "lastSuccess" "stalenessThreshold" "currentRun" "runTimeFactor" "runTimeLimit" "consecutiveFailures" "failureThreshold" -}}
{{- $m := get $metrics $key -}}
{{- if not (regexMatch "^[a-zA-Z_][a-zA-Z0-9_]*$" $m.name) -}}
{{- fail (printf "%sspec.metrics.%s.name: %q is not a valid metric name (want [a-zA-Z_][a-zA-Z0-9_]*)" $p $key $m.name) -}}
{{- end -}}
{{- if not (trim $m.help) -}}
{{- fail (printf "%sspec.metrics.%s.help: must not be blank (Argo refuses metrics without help)" $p $key) -}}
{{- end -}}
{{- if $m.enabled -}}
{{- with get $seen $m.name -}}
{{- fail (printf "%sspec.metrics.%s.name: %q is already the name of spec.metrics.%s" $p $key $m.name .) -}}
{{- end -}}
{{- $_ := set $seen $m.name $key -}}
{{- end -}}
{{- end -}}
{{- $_ := set $out "metrics" $metrics -}}
{{- /* Label keys: one set for every job (the controller refuses a metric whose keys differ). */ -}}
{{- $l := $spec.labels | default dict -}}
{{- $labels := dict "namespace" (toString ($l.namespace | default $d.labels.namespace)) "name" (toString ($l.name | default $d.labels.name)) "static" dict "fromResource" dict -}}
{{- $keys := dict -}}
{{- $check := list (list "spec.labels.namespace" $labels.namespace) (list "spec.labels.name" $labels.name) -}}
{{- range $k, $_ := ($l.static | default dict) -}}{{- $check = append $check (list (printf "spec.labels.static.%s" $k) $k) -}}{{- end -}}
{{- range $k, $_ := ($l.fromResource | default dict) -}}{{- $check = append $check (list (printf "spec.labels.fromResource.%s" $k) $k) -}}{{- end -}}
{{- range $check -}}
{{- $path := index . 0 -}}
{{- $key := index . 1 -}}
{{- if or (not (regexMatch "^[a-zA-Z_][a-zA-Z0-9_]*$" $key)) (hasPrefix "__" $key) -}}
{{- fail (printf "%s%s: %q is not a valid label key (want [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)" $p $path $key) -}}
{{- end -}}
{{- with get $keys $key -}}
{{- fail (printf "%s%s: label key %q is already used by %s" $p $path $key .) -}}
{{- end -}}
{{- $_ := set $keys $key $path -}}
{{- if hasPrefix "spec.labels.static." $path -}}
{{- $v := toString (get $l.static $key) -}}
{{- include "batch-monitoring.checkStaticValue" (list (printf "%s%s" $p $path) $v) -}}
{{- $_ := set $labels.static $key $v -}}
{{- else if hasPrefix "spec.labels.fromResource." $path -}}
{{- $rl := get $l.fromResource $key | default dict -}}
{{- $from := toString ($rl.label | default $key) -}}
{{- if or (not (regexMatch (include "batch-monitoring.resourceLabelKeyPattern" $) $from)) (gt (len $from) 317) -}}
{{- fail (printf "%s%s.label: %q is not a Kubernetes label key" $p $path $from) -}}
{{- end -}}
{{- $def := toString ($rl.default | default $d.resourceLabelDefault) -}}
{{- include "batch-monitoring.checkStaticValue" (list (printf "%s%s.default" $p $path) $def) -}}
{{- $_ := set $labels.fromResource $key (dict "label" $from "default" $def) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $out "labels" $labels -}}
{{- toJson $out -}}
{{- end -}}

{{- /* batch-monitoring.checkStaticValue: (list <path> <value>): a metric label value must be non-empty
(Argo drops metrics with an empty one) and static (a template variable makes a series per run). */ -}}
{{- define "batch-monitoring.checkStaticValue" -}}
{{- $path := index . 0 -}}
{{- $v := index . 1 -}}
{{- if not (trim $v) -}}
{{- fail (printf "%s: label value must not be empty (Argo drops metrics with empty label values)" $path) -}}
{{- end -}}
{{- if contains "{{" $v -}}
{{- fail (printf "%s: label value %q must be static; template variables would create a series per run" $path $v) -}}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.recipeOf: a completed configuration (JSON of batch-monitoring.config) -> what
the chart's Datadog check, monitors, rules and dashboards need to know of the injected metrics,
as JSON: prefix, metrics and help (config key -> name or help, enabled metrics only), labelKeys
(in the order the block writes them), namespaceLabel, nameLabel, staticLabels (with their
defaults), resourceLabels (fromResource), managedMetrics (the names inject records on the
resource). */ -}}
{{- define "batch-monitoring.recipeOf" -}}
{{- $c := . | fromJson -}}
{{- $metrics := dict -}}
{{- $help := dict -}}
{{- $managed := list -}}
{{- range $key := list "exitCode" "duration" "lastSuccess" "stalenessThreshold" "currentRun" "runTimeFactor" "runTimeLimit" "consecutiveFailures" "failureThreshold" -}}
{{- $m := get $c.metrics $key -}}
{{- if $m.enabled -}}
{{- $_ := set $metrics $key $m.name -}}
{{- $_ := set $help $key $m.help -}}
{{- $managed = append $managed $m.name -}}
{{- end -}}
{{- end -}}
{{- $extra := list -}}
{{- range $k, $_ := $c.labels.static -}}{{- $extra = append $extra $k -}}{{- end -}}
{{- range $k, $_ := $c.labels.fromResource -}}{{- $extra = append $extra $k -}}{{- end -}}
{{- $labelKeys := concat (list $c.labels.namespace $c.labels.name) (sortAlpha $extra) -}}
{{- toJson (dict "prefix" "argo_workflows_" "metrics" $metrics "help" $help "labelKeys" $labelKeys
  "namespaceLabel" $c.labels.namespace "nameLabel" $c.labels.name "staticLabels" $c.labels.static
  "resourceLabels" $c.labels.fromResource "managedMetrics" (join "," $managed)) -}}
{{- end -}}

{{- /* batch-monitoring.recipe: the chart context -> batch-monitoring.recipeOf of the chart's
argoMetricsConfig (the defaultConfig where the values have none: a chart carrying only this
template). */ -}}
{{- define "batch-monitoring.recipe" -}}
{{- if hasKey .Values "argoMetricsConfig" -}}
{{- include "batch-monitoring.config" (dict "config" .Values.argoMetricsConfig "path" "argoMetricsConfig.") | include "batch-monitoring.recipeOf" -}}
{{- else -}}
{{- include "batch-monitoring.config" (dict "config" (include "batch-monitoring.defaultConfig" . | fromJson)) | include "batch-monitoring.recipeOf" -}}
{{- end -}}
{{- end -}}
