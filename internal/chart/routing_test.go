package chart_test

// Routing by owner (scenario 09: each job's team, copied from its CronWorkflow's labels).
// Prometheus: the alerts the chart's rules fire (Prometheus' engine, promtool) carry team, and
// Alertmanager's own configuration parser and routing tree (amtool, Alertmanager v0.35.0) send
// them to each team's receiver with examples/team-routing/alertmanager.yaml. Datadog: each job
// monitor's message, read with the conditional syntax Datadog documents
// (docs.datadoghq.com/monitors/notify/variables), notifies exactly the team's handles.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

const amtoolVersion = "v0.35.0"

var (
	amtoolOnce sync.Once
	amtoolPath string
	amtoolErr  error
)

// amtool returns $AMTOOL (set by `make test`), else builds it once with the cached
// throw-away-module build of test/tools/amtool.sh.
func amtool(t *testing.T) string {
	t.Helper()
	amtoolOnce.Do(func() {
		if p := os.Getenv("AMTOOL"); p != "" {
			amtoolPath = p
			return
		}
		out, err := exec.Command(filepath.Join("..", "..", "test", "tools", "amtool.sh"), amtoolVersion).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				err = fmt.Errorf("%v: %s", err, ee.Stderr)
			}
			amtoolErr = fmt.Errorf("building amtool %s: %v", amtoolVersion, err)
			return
		}
		amtoolPath = strings.TrimSpace(string(out))
	})
	if amtoolErr != nil {
		t.Fatal(amtoolErr)
	}
	return amtoolPath
}

const alertmanagerExample = "../../examples/team-routing/alertmanager.yaml"

func TestPrometheusAlertsRouteByOwner(t *testing.T) {
	f := flavours(t)[0]
	rules, sev, _ := rulesOf(t, chartDir, f, scenario(t, "09-run-state-team-routing-values.yaml"))
	target := f.target("argo", "workflow-controller-0")
	jobs := []struct{ ns, job, team, receiver string }{
		{"payments", "settlement", "payments", "payments"},
		{"data", "export", "data", "data-pager"}, // critical: data's pager
		{"batch", "orphan", "unowned", "batch-owners"},
		{"batch", "misc", "payments-eu", "batch-default"}, // no route of its own
	}
	var input []any
	var exp []any
	for _, j := range jobs {
		l := map[string]string{"__name__": "argo_workflows_exit_code", "namespace": j.ns, "cronworkflow": j.job, "team": j.team}
		for k, v := range target {
			if k != "namespace" {
				l[k] = v
			}
		}
		input = append(input, map[string]any{"series": promSeries(l), "values": "1x10"})
		exp = append(exp, map[string]any{"exp_labels": map[string]string{"severity": sev["ArgoCronWorkflowLastRunFailed"], "namespace": j.ns, "cronworkflow": j.job, "team": j.team}})
	}
	target["__name__"] = "argo_workflows_is_leader"
	input = append(input, map[string]any{"series": promSeries(target), "values": "1x10"})
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": rules})
	tf := filepath.Join(dir, "test.yaml")
	writeYAML(t, tf, map[string]any{"rule_files": []string{"rules.yaml"}, "evaluation_interval": "1m", "tests": []any{map[string]any{
		"interval": "1m", "input_series": input,
		"alert_rule_test": []any{map[string]any{"eval_time": "5m", "alertname": "ArgoCronWorkflowLastRunFailed", "exp_alerts": exp}},
	}}})
	if out, err := exec.Command(promtool(t), "test", "rules", tf).CombinedOutput(); err != nil {
		t.Fatalf("promtool: the alerts do not carry each job's team: %v\n%s", err, trimOutput(out))
	}

	// The label sets promtool just proved, through Alertmanager's routing tree.
	tool := amtool(t)
	if out, err := exec.Command(tool, "check-config", alertmanagerExample).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	route := func(receiver string, labels map[string]string) {
		t.Helper()
		args := []string{"config", "routes", "test", "--config.file=" + alertmanagerExample, "--verify.receivers=" + receiver}
		var keys []string
		for k := range labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			args = append(args, k+"="+labels[k])
		}
		if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
			t.Errorf("%v routes to %s, want %s (%v)", labels, strings.TrimSpace(string(out)), receiver, err)
		}
	}
	for _, j := range jobs {
		route(j.receiver, map[string]string{"alertname": "ArgoCronWorkflowLastRunFailed", "severity": sev["ArgoCronWorkflowLastRunFailed"], "namespace": j.ns, "cronworkflow": j.job, "team": j.team})
	}
	route("data", map[string]string{"alertname": "ArgoCronWorkflowSlowRun", "severity": sev["ArgoCronWorkflowSlowRun"], "namespace": "data", "cronworkflow": "export", "team": "data"})
	route("platform", map[string]string{"alertname": "ArgoWorkflowsControllerNotExporting", "severity": sev["ArgoWorkflowsControllerNotExporting"]})
}

// ddSection is an opening tag of Datadog's conditional variables: {{#name "args"...}} or
// {{^name ...}}; closed by {{/name}}, {{else}} switching between its two sides.
var (
	ddTagRE   = regexp.MustCompile(`\{\{([#^/]?)\s*([a-z_]+|else)((?:\s+"[^"]*")*)\s*\}\}`)
	ddArgRE   = regexp.MustCompile(`"([^"]*)"`)
	ddHandles = regexp.MustCompile(`@[\w.+-]+`)
)

// ddMessage renders a monitor message as Datadog does for one group (its tags) in one state
// (alert or recovery), per the documented conditional variables: is_alert, is_recovery,
// is_exact_match (the tag's value equals one of the strings), is_match (contains one), their
// negations, and {{else}}. Anything else in {{ }} is left as written. It fails on a section it
// does not know, an unbalanced one, or a tag the monitor does not group by.
func ddMessage(msg, state string, tags map[string]string, groups map[string]bool) (string, error) {
	type frame struct {
		name  string
		show  bool // this side is shown
		cond  bool // the condition's value (for else)
		outer bool
	}
	var stack []frame
	shown := func() bool { return len(stack) == 0 || stack[len(stack)-1].show }
	var b strings.Builder
	last := 0
	for _, m := range ddTagRE.FindAllStringSubmatchIndex(msg, -1) {
		if shown() {
			b.WriteString(msg[last:m[0]])
		}
		last = m[1]
		kind, name, args := msg[m[2]:m[3]], msg[m[4]:m[5]], ddArgRE.FindAllStringSubmatch(msg[m[6]:m[7]], -1)
		switch {
		case kind == "" && name == "else":
			if len(stack) == 0 {
				return "", fmt.Errorf("{{else}} outside a section")
			}
			top := &stack[len(stack)-1]
			top.show = top.outer && !top.cond
		case kind == "/":
			if len(stack) == 0 || stack[len(stack)-1].name != name {
				return "", fmt.Errorf("{{/%s}} closes no open section", name)
			}
			stack = stack[:len(stack)-1]
		case kind == "#" || kind == "^":
			var cond bool
			switch name {
			case "is_alert":
				cond = state == "alert"
			case "is_recovery":
				cond = state == "recovery"
			case "is_exact_match", "is_match":
				if len(args) < 2 || !strings.HasSuffix(args[0][1], ".name") {
					return "", fmt.Errorf("{{%s%s}} wants \"<tag>.name\" and strings", kind, name)
				}
				tag := strings.TrimSuffix(args[0][1], ".name")
				if !groups[tag] {
					return "", fmt.Errorf("{{%s%s}} reads tag %s, which the monitor does not group by (%v)", kind, name, tag, groups)
				}
				for _, a := range args[1:] {
					if name == "is_exact_match" && tags[tag] == a[1] || name == "is_match" && strings.Contains(tags[tag], a[1]) {
						cond = true
					}
				}
			default:
				return "", fmt.Errorf("unknown conditional variable {{%s%s}}", kind, name)
			}
			if kind == "^" {
				cond = !cond
			}
			stack = append(stack, frame{name: name, show: shown() && cond, cond: cond, outer: shown()})
		default:
			if shown() {
				b.WriteString(msg[m[0]:m[1]]) // a variable: left as written
			}
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("section %s not closed", stack[len(stack)-1].name)
	}
	b.WriteString(msg[last:])
	return b.String(), nil
}

func TestDatadogMonitorsRouteByOwner(t *testing.T) {
	res := render(t, scenario(t, "09-run-state-team-routing-values.yaml"), allAPIs...)
	want := map[string][]string{
		"payments":    {"@slack-batch-alerts", "@slack-payments"},
		"data":        {"@pagerduty-data", "@slack-batch-alerts", "@slack-data"},
		"unowned":     {"@slack-batch-alerts", "@slack-batch-owners"},
		"payments-eu": {"@slack-batch-alerts", "@slack-batch-owners"}, // exact match: not payments'
	}
	n := 0
	for _, o := range res.OfKind("DatadogMonitor") {
		q := str(t, o.Body, "spec", "query")
		msg := str(t, o.Body, "spec", "message")
		groups := map[string]bool{}
		_, gs := ddQueryParts(q)
		for _, g := range gs {
			for _, tag := range g {
				groups[tag] = true
			}
		}
		for team, handles := range want {
			for _, state := range []string{"alert", "recovery"} {
				text, err := ddMessage(msg, state, map[string]string{"team": team, "namespace": "ns", "cronworkflow": "job"}, groups)
				if err != nil {
					t.Fatalf("%s: %v\n%s", o.Name, err, msg)
				}
				got := ddHandles.FindAllString(text, -1)
				sort.Strings(got)
				exp := handles
				if strings.Contains(q, "is_leader") {
					exp = []string{"@slack-batch-alerts"} // the controller belongs to no team
				}
				if strings.Join(got, " ") != strings.Join(exp, " ") {
					t.Errorf("%s, team %s, %s: notifies %v, want %v", o.Name, team, state, got, exp)
				}
			}
		}
		n++
	}
	if n != 6 {
		t.Errorf("%d monitors, want 6", n)
	}
}

// The reader of messages must be able to fail: a section it does not know, or an unclosed one.
func TestDDMessageRefusesUnknown(t *testing.T) {
	for _, msg := range []string{`{{#is_teh_alert}}x{{/is_teh_alert}}`, `{{#is_alert}}x`, `{{#is_exact_match "team.name" "a"}}x{{/is_exact_match}}`, `x{{/is_alert}}`} {
		if _, err := ddMessage(msg, "alert", nil, map[string]bool{"namespace": true}); err == nil {
			t.Errorf("%q read without complaint", msg)
		}
	}
	// And its reading follows the documentation's examples.
	for _, c := range []struct{ msg, team, want string }{
		{`{{#is_exact_match "team.name" "a" "b"}}@x{{else}}@y{{/is_exact_match}}`, "b", "@x"},
		{`{{#is_exact_match "team.name" "a" "b"}}@x{{else}}@y{{/is_exact_match}}`, "ab", "@y"},
		{`{{#is_match "team.name" "a"}}@x{{/is_match}}{{^is_match "team.name" "a"}}@y{{/is_match}}`, "ab", "@x"},
		{`{{#is_recovery}}@r{{/is_recovery}}{{#is_alert}}{{#is_exact_match "team.name" "a"}}@a {{team.name}}{{/is_exact_match}}{{/is_alert}}`, "a", "@a {{team.name}}"},
	} {
		got, err := ddMessage(c.msg, "alert", map[string]string{"team": c.team}, map[string]bool{"team": true})
		if err != nil || got != c.want {
			t.Errorf("%s with team %s: %q (%v), want %q", c.msg, c.team, got, err, c.want)
		}
	}
}

// An alert label named like a label of the metrics would replace every job's value: refused.
func TestAlertLabelsDoNotHideOwners(t *testing.T) {
	for _, path := range [][]string{{"prometheus", "rules", "alertLabels"}, {"prometheus", "gmp", "alertLabels"}} {
		vals := mergeValues(scenario(t, "09-run-state-team-routing-values.yaml"), map[string]any{"prometheus": map[string]any{
			path[1]: map[string]any{"create": "always", path[2]: map[string]any{"team": "platform"}}}})
		_, err := chart.Render(chartDir, vals, chart.Options{})
		if err == nil || !strings.Contains(err.Error(), strings.Join(path, ".")+".team: team is a label of the metrics") {
			t.Errorf("%s.team: got %v, want a refusal", strings.Join(path, "."), err)
		}
	}
}
