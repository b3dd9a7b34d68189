package inject

import (
	"fmt"
	"strconv"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/schedule"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// cronJob reads what the schedule analysis needs from a CronWorkflow's spec, with Argo's rules:
// `schedule` (removed in v4) or `schedules`, never both.
func cronJob(spec *yaml.Node) (schedule.Job, error) {
	var j schedule.Job
	if v := lookup(spec, "schedule"); v != nil && !isNull(v) {
		if v.Kind != yaml.ScalarNode {
			return j, fmt.Errorf("spec.schedule must be a string, got %s", kindName(v))
		}
		j.Schedules = append(j.Schedules, v.Value)
	}
	if v := lookup(spec, "schedules"); v != nil && !isNull(v) {
		if v.Kind != yaml.SequenceNode {
			return j, fmt.Errorf("spec.schedules must be a list, got %s", kindName(v))
		}
		if len(j.Schedules) > 0 && len(v.Content) > 0 {
			return j, fmt.Errorf("spec.schedule and spec.schedules are both set; Argo refuses that")
		}
		for i, s := range v.Content {
			s = deref(s)
			if s.Kind != yaml.ScalarNode || isNull(s) {
				return j, fmt.Errorf("spec.schedules[%d] must be a string, got %s", i, kindName(s))
			}
			j.Schedules = append(j.Schedules, s.Value)
		}
	}
	j.Timezone = scalarValue(spec, "timezone")
	if v := lookup(spec, "startingDeadlineSeconds"); v != nil && !isNull(v) {
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if v.Kind != yaml.ScalarNode || err != nil || n < 0 {
			return j, fmt.Errorf("spec.startingDeadlineSeconds must be a non-negative whole number, got %s", kindName(v))
		}
		j.StartingDeadlineSeconds = n
	}
	if v := lookup(spec, "suspend"); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		j.Suspend = v.Value == "true"
	}
	return j, nil
}

// analyze computes a CronWorkflow's schedule analysis with the configured and annotated grace.
func (in *Injector) analyze(r *resource, spec *yaml.Node) (schedule.Job, schedule.Result, error) {
	j, err := cronJob(spec)
	if err != nil {
		return j, schedule.Result{}, err
	}
	expected := *in.Config.Spec.Staleness.ExpectedDurationSeconds
	if v, ok := r.annots[config.AnnotationExpectedDuration]; ok {
		if expected, err = seconds(config.AnnotationExpectedDuration, v); err != nil {
			return j, schedule.Result{}, err
		}
	}
	var override int64
	if v, ok := r.annots[config.AnnotationStalenessThreshold]; ok {
		if override, err = seconds(config.AnnotationStalenessThreshold, v); err != nil {
			return j, schedule.Result{}, err
		}
	}
	res, err := schedule.Analyze(j, time.Duration(expected)*time.Second, time.Duration(override)*time.Second)
	return j, res, err
}

// runTimeLimit is the shortest gap between scheduled runs, or the job's lower annotation value:
// a run still going at the next scheduled time is too long, whatever its usual duration.
func runTimeLimit(res schedule.Result, s config.JobSettings) (int64, error) {
	gap := int64(res.MinInterval / time.Second)
	if s.MaxRunSeconds == 0 {
		return gap, nil
	}
	if s.MaxRunSeconds > gap {
		return 0, fmt.Errorf("annotation %s: %d s is longer than the shortest gap between scheduled runs (%d s): a run that long overlaps the next one", config.AnnotationMaxRunSeconds, s.MaxRunSeconds, gap)
	}
	return s.MaxRunSeconds, nil
}

func seconds(annotation, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("annotation %s must be a non-negative number of seconds, got %q", annotation, v)
	}
	return n, nil
}

// JobSchedule is one CronWorkflow's schedule analysis, as `argo-metrics-gen schedule` reports it.
type JobSchedule struct {
	Namespace, Name string
	Line            int
	Schedules       []string
	Timezone        string
	Suspended       bool
	schedule.Result
}

// Schedules analyses every CronWorkflow that the configuration selects for injection (the jobs
// whose staleness alert this threshold feeds). Lines are relative to data.
func (in *Injector) Schedules(data []byte) ([]JobSchedule, error) {
	var out []JobSchedule
	for _, c := range Split(data) {
		doc, err := ParseDocument(c.Text)
		if err != nil {
			return nil, shiftError(err, c.Line-1)
		}
		if doc == nil || len(doc.Content) == 0 {
			continue
		}
		var resources []*resource
		if err := in.findResources([]*yaml.Node{doc.Content[0]}, &resources, 0); err != nil {
			return nil, shiftError(err, c.Line-1)
		}
		for _, r := range resources {
			if r.kind != config.KindCronWorkflow || r.annots[config.AnnotationInject] == "false" || !in.Config.Selects(r.ns, r.labels) {
				continue
			}
			root := r.path[len(r.path)-1]
			spec, err := child(root, "spec", "spec")
			if err != nil {
				return nil, shiftError(&Error{Line: root.Line, Resource: ResourceName(r.kind, r.ns, r.name), Msg: err.Error()}, c.Line-1)
			}
			j, res, err := in.analyze(r, spec)
			if err != nil {
				return nil, shiftError(&Error{Line: spec.Line, Resource: ResourceName(r.kind, r.ns, r.name), Msg: err.Error()}, c.Line-1)
			}
			out = append(out, JobSchedule{Namespace: r.ns, Name: r.name, Line: r.line + c.Line - 1,
				Schedules: j.Schedules, Timezone: j.Timezone, Suspended: j.Suspend, Result: res})
		}
	}
	return out, nil
}
