{{- /*
The dashboards of the values: dashboards/catalog.json holds each panel (Grafana) and widget
(Datadog) as internal/dashboard builds it for every shape, that is for every set of the optional
metrics the chart records (Grafana) or collects (Datadog), with tokens for the names; here the
values' shape picks the variants, the Grafana panels are laid out as the SDK's builder lays them
out, and the tokens become the values' metric names, label keys and median window.
*/ -}}

{{- /* batch-monitoring.dashboardSeries: the chart context -> JSON {"series": {<recipe key>:
<recording rule>}, "median": <recording rule>, "medianRange": <range>}: what the alerts read, in
any rule group. A rule reading exactly one of our metrics is its leader series; one that starts
with that series and reads itself carries the job's last known value, which the panels show (the
current run: the live leader series, a held value would not grow). The median is the rule of a
quantile_over_time, over the range the alerts read it back. */ -}}
{{- define "batch-monitoring.dashboardSeries" -}}
{{- $r := include "batch-monitoring.recipe" . | fromJson -}}
{{- $records := list -}}
{{- $alerts := list -}}
{{- range (include "batch-monitoring.promRules" (dict "ctx" . "backend" "prometheus") | fromYamlArray) -}}
{{- range .rules -}}
{{- if .record -}}{{- $records = append $records . -}}{{- else -}}{{- $alerts = append $alerts .expr -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $leader := dict -}}
{{- range $rule := $records -}}
{{- $found := list -}}
{{- range $key, $name := $r.metrics -}}
{{- if regexMatch (printf "(^|[^A-Za-z0-9_:])%s($|[^A-Za-z0-9_:])" (regexQuoteMeta (printf "%s%s" $r.prefix $name))) $rule.expr -}}{{- $found = append $found $key -}}{{- end -}}
{{- end -}}
{{- if eq (len $found) 1 -}}{{- $_ := set $leader (first $found) $rule.record -}}{{- end -}}
{{- end -}}
{{- $series := dict -}}
{{- $median := "" -}}
{{- range $rule := $records -}}
{{- $self := printf "(^|[^A-Za-z0-9_:])%s($|[^A-Za-z0-9_:])" (regexQuoteMeta $rule.record) -}}
{{- range $key, $l := $leader -}}
{{- if and (hasPrefix (printf "(%s " $l) $rule.expr) (regexMatch $self $rule.expr) -}}{{- $_ := set $series $key $rule.record -}}{{- end -}}
{{- end -}}
{{- if contains "quantile_over_time" $rule.expr -}}{{- $median = $rule.record -}}{{- end -}}
{{- end -}}
{{- with $leader.currentRun -}}{{- $_ := set $series "currentRun" . -}}{{- end -}}
{{- $range := "" -}}
{{- if $median -}}
{{- with regexFind (printf "%s\\[[^]]+\\]" (regexQuoteMeta $median)) (join "\n" $alerts) -}}{{- $range = trimSuffix "]" (trimPrefix (printf "%s[" $median) .) -}}{{- end -}}
{{- end -}}
{{- toJson (dict "series" $series "median" $median "medianRange" $range) -}}
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
{{- $read := include "batch-monitoring.dashboardSeries" . | fromJson -}}
{{- $series := $read.series -}}
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
{{- $text := toJson $d | replace "@@ns@@" $l.ns | replace "@@job@@" $l.job | replace "@@window@@" .Values.alerts.slowRun.window | replace "@@median@@" $read.median | replace "@@median.range@@" $read.medianRange -}}
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
