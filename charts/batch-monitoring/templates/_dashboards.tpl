{{- /*
The dashboards of the values: dashboards/catalog.json holds each panel (Grafana) and widget
(Datadog) as internal/dashboard builds it for every shape, that is for every set of the optional
metrics the chart records (Grafana) or collects (Datadog), with tokens for the names; here the
values' shape picks the variants, the Grafana panels are laid out as the SDK's builder lays them
out, and the tokens become the values' metric names, label keys, lookback and median window.
*/ -}}

{{- /* batch-monitoring.dashboardSeries: the chart context -> JSON {<recipe key>: <recording rule>}:
the per-job series the PrometheusRule records of each of our metrics (a recording rule that
reads exactly one of them), in any rule group. */ -}}
{{- define "batch-monitoring.dashboardSeries" -}}
{{- $r := include "batch-monitoring.recipe" . | fromJson -}}
{{- $out := dict -}}
{{- range (include "batch-monitoring.promRules" (dict "ctx" . "backend" "prometheus") | fromYamlArray) -}}
{{- range .rules -}}
{{- if .record -}}
{{- $rule := . -}}
{{- $found := list -}}
{{- range $key, $name := $r.metrics -}}
{{- if regexMatch (printf "(^|[^A-Za-z0-9_:])%s%s($|[^A-Za-z0-9_:])" $r.prefix $name) $rule.expr -}}{{- $found = append $found $key -}}{{- end -}}
{{- end -}}
{{- if eq (len $found) 1 -}}{{- $_ := set $out (first $found) $rule.record -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- /* batch-monitoring.dashboardPick: (dict "slots" <catalog slots> "keys" <catalog keys> "has" <dict
of the present keys>) -> JSON list of the slots' parts for that shape. */ -}}
{{- define "batch-monitoring.dashboardPick" -}}
{{- $shape := 0 -}}
{{- $bit := 1 -}}
{{- range .keys -}}
{{- if hasKey $.has . -}}{{- $shape = add $shape $bit -}}{{- end -}}
{{- $bit = mul $bit 2 -}}
{{- end -}}
{{- $parts := list -}}
{{- range .slots -}}
{{- range .variants -}}
{{- if eq (substr (int $shape) (int (add $shape 1)) .shapes) "1" -}}{{- $parts = append $parts .part -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $parts -}}
{{- end -}}

{{- /* batch-monitoring.grafanaDashboard: the chart context -> the Grafana dashboard, as JSON. */ -}}
{{- define "batch-monitoring.grafanaDashboard" -}}
{{- $cat := .Files.Get "dashboards/catalog.json" | fromJson -}}
{{- $series := include "batch-monitoring.dashboardSeries" . | fromJson -}}
{{- if not $series.exitCode -}}
{{- fail "dashboards.grafana.enabled: the dashboard reads the per-job series the chart records of the exit code, which it records for alerts.lastRunFailed or alerts.consecutiveFailures: enable one of them" -}}
{{- end -}}
{{- $panels := include "batch-monitoring.dashboardPick" (dict "slots" $cat.grafana.slots "keys" $cat.keys "has" $series) | fromJsonArray -}}
{{- /* Layout as the SDK's DashboardBuilder: rows span the width below what is above; panels fill
a line of 24 left to right and wrap under the tallest of the line. */ -}}
{{- $x := 0 -}}
{{- $y := 0 -}}
{{- $h := 0 -}}
{{- range $i, $p := $panels -}}
{{- $_ := set $p "id" (add $i 1) -}}
{{- if eq $p.type "row" -}}
{{- $y = add $y $h -}}
{{- $_ := set $p "gridPos" (dict "x" 0 "y" $y "w" 24 "h" 1) -}}
{{- $x = 0 -}}
{{- $y = add $y 1 -}}
{{- $h = 0 -}}
{{- else -}}
{{- $_ := set $p.gridPos "x" $x -}}
{{- $_ := set $p.gridPos "y" $y -}}
{{- $x = add $x (int $p.gridPos.w) -}}
{{- $h = max $h (int $p.gridPos.h) -}}
{{- if ge $x 24 -}}
{{- $x = 0 -}}
{{- $y = add $y $h -}}
{{- $h = 0 -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $d := deepCopy $cat.grafana.dashboard -}}
{{- $_ := set $d "panels" $panels -}}
{{- $l := include "batch-monitoring.alertLabels" (dict "ctx" . "backend" "prometheus") | fromJson -}}
{{- $text := toJson $d | replace "@@ns@@" $l.ns | replace "@@job@@" $l.job | replace "@@lookback@@" .Values.alerts.lookback | replace "@@window@@" .Values.alerts.slowRun.window -}}
{{- range $key, $record := $series -}}{{- $text = replace (printf "@@series.%s@@" $key) $record $text -}}{{- end -}}
{{- $text -}}
{{- end -}}

{{- /* batch-monitoring.datadogDashboard: the chart context -> the Datadog dashboard (the API's
form), as JSON. */ -}}
{{- define "batch-monitoring.datadogDashboard" -}}
{{- $cat := .Files.Get "dashboards/catalog.json" | fromJson -}}
{{- $names := (include "batch-monitoring.datadogMetrics" . | fromJson).names -}}
{{- $r := include "batch-monitoring.recipe" . | fromJson -}}
{{- $groups := list -}}
{{- range $cat.datadog.groups -}}
{{- $g := deepCopy .group -}}
{{- $_ := set $g.definition "widgets" (include "batch-monitoring.dashboardPick" (dict "slots" .slots "keys" $cat.keys "has" $names) | fromJsonArray) -}}
{{- $groups = append $groups $g -}}
{{- end -}}
{{- $d := deepCopy $cat.datadog.dashboard -}}
{{- $_ := set $d "widgets" $groups -}}
{{- $text := toJson $d | replace "@@ns@@" $r.namespaceLabel | replace "@@job@@" $r.nameLabel | replace "@@tags@@" (join "," $r.labelKeys) -}}
{{- range $key, $name := $names -}}{{- $text = replace (printf "@@datadog.%s@@" $key) $name $text -}}{{- end -}}
{{- $text -}}
{{- end -}}
