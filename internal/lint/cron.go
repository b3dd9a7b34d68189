package lint

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/schedule"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// cron warns about what makes a monitored CronWorkflow's alerts lie about its schedule: runs
// the controller skips without a trace, schedules that never fire, and runs `when` skips.
// Only CronWorkflows the configuration selects for injection are concerned.
func (l *linter) cron(r *manifest.Resource, spec *yaml.Node) {
	md := manifest.Lookup(r.Node, "metadata")
	labels, annots := stringMap(manifest.Lookup(md, "labels")), stringMap(manifest.Lookup(md, "annotations"))
	if spec == nil || spec.Kind != yaml.MappingNode || annots[config.AnnotationInject] == "false" || !l.cfg.Selects(r.Namespace, labels) {
		return
	}
	var scheds []*yaml.Node
	if s := manifest.Lookup(spec, "schedule"); s != nil && s.Kind == yaml.ScalarNode && s.Value != "" {
		scheds = append(scheds, s)
	}
	if s := manifest.Lookup(spec, "schedules"); s != nil && s.Kind == yaml.SequenceNode {
		for _, n := range s.Content {
			if n = manifest.Deref(n); n.Kind == yaml.ScalarNode && n.Value != "" {
				scheds = append(scheds, n)
			}
		}
	}
	tz := scalar(spec, "timezone")
	for _, n := range scheds {
		// Argo accepts it (a malformed one is Argo's validation error, reported apart), yet
		// no date matches it: robfig/cron's Next finds no run within five years.
		if p, err := schedule.Parse(n.Value, tz); err == nil && p.Next(schedule.Anchor).IsZero() {
			l.add(r, n, Warning, "schedule-never-fires", fmt.Sprintf("schedule %q is accepted by Argo but matches no date (such as February 30): the controller never starts a run from it", n.Value))
		}
	}
	// A missed scheduled time is started late only within startingDeadlineSeconds
	// (workflow/cron/operator.go, shouldOutstandingWorkflowsBeRun).
	if d := manifest.Lookup(spec, "startingDeadlineSeconds"); d == nil || d.Value == "0" {
		at := spec
		if len(scheds) > 0 {
			at = scheds[0]
		}
		l.add(r, at, Warning, "starting-deadline", "no spec.startingDeadlineSeconds: a run whose scheduled time falls while the controller is down or restarting (an upgrade, a node drain, a leader change) is skipped without a trace; set it (e.g. 300) so that the controller starts such a run late")
	}
	if w := manifest.Lookup(spec, "when"); w != nil && w.Kind == yaml.ScalarNode && strings.TrimSpace(w.Value) != "" {
		if _, ok := annots[config.AnnotationStalenessThreshold]; !ok {
			l.add(r, w, Warning, "when-skips-runs", fmt.Sprintf("spec.when %q can skip scheduled runs, and a skipped run records no success: the not-succeeded and missed-schedule alerts then fire after a threshold computed from the schedule alone; set the annotation %s to the longest time the job may go between runs that actually start", w.Value, config.AnnotationStalenessThreshold))
		}
	}
}

// stringMap reads a mapping of scalars (labels, annotations); anything else reads as empty.
func stringMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	if n = manifest.Deref(n); n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := manifest.Deref(n.Content[i+1]); v.Kind == yaml.ScalarNode {
			out[n.Content[i].Value] = v.Value
		}
	}
	return out
}
