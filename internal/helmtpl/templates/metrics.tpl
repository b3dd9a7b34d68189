{{- /* batch-monitoring.yamlScalar: a string as recipe.Scalar writes it: plain when every YAML
parser reads it back unchanged, double-quoted otherwise (Go's quoting: its escapes are YAML's). */ -}}
{{- define "batch-monitoring.yamlScalar" -}}
{{- $v := toString . -}}
{{- if and (regexMatch "^[A-Za-z_][A-Za-z0-9_./-]*$" $v) (or (gt (len $v) 5) (not (has (lower $v) (list "y" "n" "yes" "no" "on" "off" "true" "false" "null" "~")))) -}}
{{ $v }}
{{- else -}}
{{ printf "%q" $v }}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.workflowMetricsJob: validates the argument of the templates below and
resolves the job's values, as JSON. Errors are the injector's, for the same input. */ -}}
{{- define "batch-monitoring.workflowMetricsJob" -}}
{{- if not (kindIs "map" .) -}}
{{- fail "batch-monitoring.workflowMetrics: the argument must be a dict, e.g. (dict \"name\" \"nightly-report\" \"stalenessThresholdSeconds\" 90000)" -}}
{{- end -}}
{{- $cfgIn := .config -}}
{{- $path := "" -}}
{{- if hasKey . "config" -}}{{- $path = "argoMetricsConfig." -}}{{- else -}}{{- $cfgIn = include "batch-monitoring.defaultConfig" . | fromJson -}}{{- end -}}
{{- $c := include "batch-monitoring.config" (dict "config" $cfgIn "path" $path) | fromJson -}}
{{- $name := toString (.name | default "") -}}
{{- if not $name -}}{{- fail "batch-monitoring.workflowMetrics: name (the CronWorkflow's metadata.name) is required" -}}{{- end -}}
{{- $where := printf "batch-monitoring.workflowMetrics: CronWorkflow %s" $name -}}
{{- /* Declared labels: the static ones at their defaults, the fromResource ones from the
CronWorkflow's own metadata.labels (resourceLabels), then the overrides (labels). */ -}}
{{- $static := dict -}}
{{- range $k, $v := $c.labels.static -}}{{- $_ := set $static $k $v -}}{{- end -}}
{{- $resource := .resourceLabels | default dict -}}
{{- range $k, $rl := $c.labels.fromResource -}}
{{- $v := $rl.default -}}
{{- if hasKey $resource $rl.label -}}
{{- $rv := get $resource $rl.label -}}
{{- if not (kindIs "string" $rv) -}}
{{- fail (printf "%s: metadata.labels.%s: %v is not a string; Kubernetes refuses it as a label value, and it would become the metric label %s: quote it" $where $rl.label $rv $k) -}}
{{- end -}}
{{- if not (regexMatch "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$" $rv) -}}
{{- fail (printf "%s: metadata.labels.%s: %q is not a valid label value (at most 63 characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit), so it cannot become the metric label %s (spec.labels.fromResource)" $where $rl.label $rv $k) -}}
{{- end -}}
{{- if $rv -}}{{- $v = $rv -}}{{- end -}}
{{- end -}}
{{- $_ := set $static $k $v -}}
{{- end -}}
{{- $overrides := list -}}
{{- range $k, $v := (.labels | default dict) -}}
{{- if not (hasKey $static $k) -}}
{{- $declared := "none are declared" -}}
{{- if $static -}}{{- $declared = printf "declared: %s" (keys $static | sortAlpha | join ", ") -}}{{- end -}}
{{- fail (printf "%s: label %q is not declared in spec.labels.static or spec.labels.fromResource of the config (%s); every job must carry the same label keys" $where $k $declared) -}}
{{- end -}}
{{- $s := toString $v | trim -}}
{{- if or (not $s) (contains "{{" $s) (contains "," $s) -}}
{{- fail (printf "%s: label %s: value %q must be a non-empty static string without commas" $where $k $s) -}}
{{- end -}}
{{- $_ := set $static $k $s -}}
{{- $overrides = append $overrides (printf "%s=%s" $k $s) -}}
{{- end -}}
{{- $job := dict "name" $name "static" $static "overrides" (sortAlpha $overrides | join ",") "config" $c -}}
{{- if $c.metrics.stalenessThreshold.enabled -}}
{{- $t := .stalenessThresholdSeconds -}}
{{- if or (not (hasKey . "stalenessThresholdSeconds")) (kindIs "invalid" $t) -}}
{{- fail (printf "%s: stalenessThresholdSeconds is required (longest gap between scheduled runs + startingDeadlineSeconds + expected run time, e.g. 90000 for a daily job; `argo-metrics-gen schedule` computes it)" $where) -}}
{{- end -}}
{{- if or (le (int64 $t) 0) (ne (float64 (int64 $t)) (float64 $t)) -}}
{{- fail (printf "%s: stalenessThresholdSeconds must be a positive whole number of seconds, got %v" $where $t) -}}
{{- end -}}
{{- $_ := set $job "threshold" (int64 $t) -}}
{{- end -}}
{{- if $c.metrics.runTimeFactor.enabled -}}
{{- $f := $c.runTime.factor -}}
{{- if hasKey . "runTimeFactor" -}}
{{- $f = float64 .runTimeFactor -}}
{{- if or (le $f 0.0) (gt $f 1000000.0) -}}
{{- fail (printf "%s: runTimeFactor must be a number above 0 and at most 1000000, got %v" $where .runTimeFactor) -}}
{{- end -}}
{{- $_ := set $job "factorAnnotation" true -}}
{{- end -}}
{{- $_ := set $job "factor" (include "batch-monitoring.number" $f) -}}
{{- end -}}
{{- if $c.metrics.runTimeLimit.enabled -}}
{{- $l := .runTimeLimitSeconds -}}
{{- if or (not (hasKey . "runTimeLimitSeconds")) (kindIs "invalid" $l) (le (int64 $l) 0) (ne (float64 (int64 $l)) (float64 $l)) -}}
{{- fail (printf "%s: runTimeLimitSeconds is required: a positive whole number of seconds, at most the shortest gap between scheduled runs (`argo-metrics-gen schedule` prints it), got %v" $where $l) -}}
{{- end -}}
{{- $_ := set $job "runTimeLimit" (int64 $l) -}}
{{- end -}}
{{- if $c.metrics.failureThreshold.enabled -}}
{{- $_ := set $job "failureThreshold" (int64 $c.consecutiveFailures.threshold) -}}
{{- if hasKey . "failureThreshold" -}}
{{- $n := .failureThreshold -}}
{{- if or (kindIs "invalid" $n) (lt (int64 $n) 1) (ne (float64 (int64 $n)) (float64 $n)) -}}
{{- fail (printf "%s: failureThreshold must be a whole number of at least 1, got %v" $where $n) -}}
{{- end -}}
{{- $_ := set $job "failureThreshold" (int64 $n) -}}
{{- $_ := set $job "failuresAnnotation" true -}}
{{- end -}}
{{- end -}}
{{- toJson $job -}}
{{- end -}}

{{- /* batch-monitoring.number: a float64 as Go's strconv.FormatFloat(f, 'f', -1, 64) writes it. */ -}}
{{- define "batch-monitoring.number" -}}
{{- $f := float64 . -}}
{{- if eq $f (float64 (int64 $f)) -}}
{{- int64 $f -}}
{{- else if contains "e" (toString $f) -}}
{{- printf "%.17f" $f | regexReplaceAll "0+$" "" -}}
{{- else -}}
{{- toString $f -}}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.workflowMetricsItems: the entries inject appends to
spec.workflowSpec.metrics.prometheus, in its order. */ -}}
{{- define "batch-monitoring.workflowMetricsItems" -}}
{{- $job := include "batch-monitoring.workflowMetricsJob" . | fromJson -}}
{{- $m := $job.config.metrics -}}
{{- $labels := list (dict "key" $job.config.labels.namespace "value" "{{workflow.namespace}}") (dict "key" $job.config.labels.name "value" $job.name) -}}
{{- range $k := keys $job.static | sortAlpha -}}{{- $labels = append $labels (dict "key" $k "value" (get $job.static $k)) -}}{{- end -}}
{{- $succeeded := `{{=status == 'Succeeded' && !(workflow.failures contains (workflow.name + '.onExit\\"'))}}` -}}
{{- $failed := `{{=status != 'Succeeded' || workflow.failures contains (workflow.name + '.onExit\\"')}}` -}}
{{- $items := list (dict "m" $m.exitCode "when" $succeeded "value" "0") (dict "m" $m.exitCode "when" $failed "value" "1") -}}
{{- if $m.duration.enabled -}}{{- $items = append $items (dict "m" $m.duration "value" "{{workflow.duration}}") -}}{{- end -}}
{{- if $m.lastSuccess.enabled -}}{{- $items = append $items (dict "m" $m.lastSuccess "when" $succeeded "value" "{{workflow.creationTimestamp.s}}") -}}{{- end -}}
{{- if $m.stalenessThreshold.enabled -}}{{- $items = append $items (dict "m" $m.stalenessThreshold "value" (toString (int64 $job.threshold))) -}}{{- end -}}
{{- if $m.currentRun.enabled -}}{{- $items = append $items (dict "m" $m.currentRun "value" "{{workflow.duration}}" "realtime" true) -}}{{- end -}}
{{- if $m.runTimeFactor.enabled -}}{{- $items = append $items (dict "m" $m.runTimeFactor "value" $job.factor) -}}{{- end -}}
{{- if $m.runTimeLimit.enabled -}}{{- $items = append $items (dict "m" $m.runTimeLimit "value" (toString (int64 $job.runTimeLimit))) -}}{{- end -}}
{{- if $m.consecutiveFailures.enabled -}}
{{- $items = append $items (dict "m" $m.consecutiveFailures "when" $succeeded "value" "0") -}}
{{- $items = append $items (dict "m" $m.consecutiveFailures "when" $failed "value" "1" "operation" "Add") -}}
{{- end -}}
{{- if $m.failureThreshold.enabled -}}{{- $items = append $items (dict "m" $m.failureThreshold "value" (toString (int64 $job.failureThreshold))) -}}{{- end -}}
{{- range $i, $it := $items -}}
{{- if $i }}{{ "\n" }}{{ end -}}
{{- include "batch-monitoring.workflowMetricsItem" (dict "it" $it "labels" $labels) -}}
{{- end -}}
{{- end -}}

{{- /* batch-monitoring.workflowMetricsItem: one entry, keys in the injector's order. */ -}}
{{- define "batch-monitoring.workflowMetricsItem" -}}
- name: {{ include "batch-monitoring.yamlScalar" .it.m.name }}
  help: {{ include "batch-monitoring.yamlScalar" .it.m.help }}
  labels:
{{- range .labels }}
    - key: {{ include "batch-monitoring.yamlScalar" .key }}
      value: {{ include "batch-monitoring.yamlScalar" .value }}
{{- end }}
{{- with .it.when }}
  when: {{ include "batch-monitoring.yamlScalar" . }}
{{- end }}
  gauge:
    value: {{ include "batch-monitoring.yamlScalar" .it.value }}
{{- if .it.realtime }}
    realtime: true
{{- end }}
{{- with .it.operation }}
    operation: {{ include "batch-monitoring.yamlScalar" . }}
{{- end }}
{{- end -}}

{{- /* batch-monitoring.workflowMetrics: the block inject adds under spec.workflowSpec. */ -}}
{{- define "batch-monitoring.workflowMetrics" -}}
metrics:
  prometheus:
    {{- include "batch-monitoring.workflowMetricsItems" . | nindent 4 }}
{{- end -}}

{{- /* batch-monitoring.workflowMetricsAnnotations: metadata.annotations of a CronWorkflow carrying
the block, so that `inject --check` and a post-renderer find it up to date. */ -}}
{{- define "batch-monitoring.workflowMetricsAnnotations" -}}
{{- $job := include "batch-monitoring.workflowMetricsJob" . | fromJson -}}
{{- $m := $job.config.metrics -}}
{{- $names := list -}}
{{- range $key := list "exitCode" "duration" "lastSuccess" "stalenessThreshold" "currentRun" "runTimeFactor" "runTimeLimit" "consecutiveFailures" "failureThreshold" -}}
{{- with get $m $key -}}{{- if .enabled -}}{{- $names = append $names .name -}}{{- end -}}{{- end -}}
{{- end -}}
{{- if $job.overrides -}}
argo-metrics-gen.io/labels: {{ $job.overrides | quote }}
{{ end -}}
{{- if $m.stalenessThreshold.enabled -}}
argo-metrics-gen.io/staleness-threshold-seconds: {{ int64 $job.threshold | toString | quote }}
{{ end -}}
{{- if $job.factorAnnotation -}}
argo-metrics-gen.io/run-time-factor: {{ $job.factor | quote }}
{{ end -}}
{{- if $m.runTimeLimit.enabled -}}
argo-metrics-gen.io/max-run-seconds: {{ int64 $job.runTimeLimit | toString | quote }}
{{ end -}}
{{- if $job.failuresAnnotation -}}
argo-metrics-gen.io/consecutive-failures: {{ int64 $job.failureThreshold | toString | quote }}
{{ end -}}
argo-metrics-gen.io/managed-metrics: {{ include "batch-monitoring.yamlScalar" (join "," $names) }}
{{- end -}}
