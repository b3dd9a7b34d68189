package inject_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// cron is a CronWorkflow with the given metadata.annotations and spec lines (two-space indented).
func cron(name, annotations, spec string) string {
	return "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: " + name + "\n  namespace: batch\n" +
		annotations + "spec:\n" + spec + "  workflowSpec:\n    entrypoint: main\n    templates: [{name: main, container: {image: alpine}}]\n"
}

// TestScheduleFields: the schedule fields are read as Argo reads them, and the threshold is the
// longest gap plus startingDeadlineSeconds plus the expected duration (default 1 h), or the
// annotation's value.
func TestScheduleFields(t *testing.T) {
	for name, tc := range map[string]struct {
		annotations, spec string
		threshold         time.Duration
		suspended         bool
		wantErr           string
	}{
		"daily":                         {"", "  schedule: \"0 3 * * *\"\n", 25 * time.Hour, false, ""},
		"schedule with empty schedules": {"", "  schedule: \"0 3 * * *\"\n  schedules: []\n", 25 * time.Hour, false, ""},
		"both set":                      {"", "  schedule: \"0 3 * * *\"\n  schedules: [\"0 4 * * *\"]\n", 0, false, "spec.schedule and spec.schedules are both set"},
		"no starting deadline":          {"", "  schedules: [\"0 * * * *\"]\n  startingDeadlineSeconds: 0\n", 2 * time.Hour, false, ""},
		"starting deadline":             {"", "  schedules: [\"0 * * * *\"]\n  startingDeadlineSeconds: 600\n", 2*time.Hour + 10*time.Minute, false, ""},
		"negative starting deadline":    {"", "  schedules: [\"0 * * * *\"]\n  startingDeadlineSeconds: -1\n", 0, false, "spec.startingDeadlineSeconds must be a non-negative whole number"},
		"suspended":                     {"", "  schedules: [\"0 * * * *\"]\n  suspend: true\n", 2 * time.Hour, true, ""},
		"not suspended":                 {"", "  schedules: [\"0 * * * *\"]\n  suspend: false\n", 2 * time.Hour, false, ""},
		"no expected duration": {"  annotations: {argo-metrics-gen.io/expected-duration-seconds: \"0\"}\n",
			"  schedules: [\"0 * * * *\"]\n", time.Hour, false, ""},
		"negative expected duration": {"  annotations: {argo-metrics-gen.io/expected-duration-seconds: \"-1\"}\n",
			"  schedules: [\"0 * * * *\"]\n", 0, false, "annotation argo-metrics-gen.io/expected-duration-seconds must be a non-negative number of seconds"},
		"threshold set": {"  annotations: {argo-metrics-gen.io/staleness-threshold-seconds: \"7200\"}\n",
			"  schedules: [\"0 * * * *\"]\n", 2 * time.Hour, false, ""},
		"threshold of the gap": {"  annotations: {argo-metrics-gen.io/staleness-threshold-seconds: \"3600\"}\n",
			"  schedules: [\"0 * * * *\"]\n", time.Hour, false, ""},
		"negative threshold": {"  annotations: {argo-metrics-gen.io/staleness-threshold-seconds: \"-5\"}\n",
			"  schedules: [\"0 * * * *\"]\n", 0, false, "annotation argo-metrics-gen.io/staleness-threshold-seconds must be a non-negative number of seconds"},
	} {
		t.Run(name, func(t *testing.T) {
			in := &inject.Injector{Config: config.Default()}
			jobs, err := in.Schedules([]byte(cron("job", tc.annotations, tc.spec)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				if _, err := in.Stream([]byte(cron("job", tc.annotations, tc.spec))); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("inject: got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(jobs) != 1 {
				t.Fatalf("%v %+v", err, jobs)
			}
			if jobs[0].Threshold != tc.threshold || jobs[0].Suspended != tc.suspended {
				t.Errorf("threshold %s, suspended %v; want %s, %v", jobs[0].Threshold, jobs[0].Suspended, tc.threshold, tc.suspended)
			}
		})
	}
}

// TestSchedulesOfAStream: `argo-metrics-gen schedule` lists the CronWorkflows that inject would
// treat, each with the line of its kind in the stream: not the opted-out, unselected or other
// kinds.
func TestSchedulesOfAStream(t *testing.T) {
	cfg, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec: {selector: {namespaces: [batch]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	stream := strings.Join([]string{
		cron("first", "", "  schedules: [\"0 * * * *\"]\n"),
		cron("opted-out", "  annotations: {argo-metrics-gen.io/inject: \"false\"}\n", "  schedules: [\"0 * * * *\"]\n"),
		strings.Replace(cron("elsewhere", "", "  schedules: [\"0 * * * *\"]\n"), "namespace: batch", "namespace: other", 1),
		strings.Replace(cron("a-template", "", ""), "kind: CronWorkflow", "kind: WorkflowTemplate", 1),
		"# a comment line before the document\n" + cron("second", "", "  schedules: [\"0 */2 * * *\"]\n  timezone: Europe/Paris\n"),
	}, "---\n")
	jobs, err := (&inject.Injector{Config: cfg}).Schedules([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	second := strings.Count(stream[:strings.Index(stream, "name: second")], "\n") - 1 // its kind line
	var got []string
	for _, j := range jobs {
		got = append(got, fmt.Sprintf("%s/%s line %d %q %s %s", j.Namespace, j.Name, j.Line, j.Schedules, j.Timezone, j.MaxInterval))
	}
	want := []string{`batch/first line 2 ["0 * * * *"]  1h0m0s`, fmt.Sprintf(`batch/second line %d ["0 */2 * * *"] Europe/Paris 3h0m0s`, second)} // 02:00 Paris does not exist the night clocks spring forward
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMaxRunSeconds: argo-metrics-gen.io/max-run-seconds may lower a job's run-time limit down
// to 1 s and up to the shortest gap between its runs (a run that long ends as the next starts),
// never above it.
func TestMaxRunSeconds(t *testing.T) {
	cfg, err := config.Parse([]byte("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nspec: {metrics: {currentRun: {enabled: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]string{"": "3600", "1200": "1200", "3600": "3600", "3601": "3601 s is longer than the shortest gap between scheduled runs (3600 s)"} {
		annotations := ""
		if value != "" {
			annotations = "  annotations: {argo-metrics-gen.io/max-run-seconds: \"" + value + "\"}\n"
		}
		res, err := (&inject.Injector{Config: cfg}).Stream([]byte(cron("job", annotations, "  schedules: [\"0 * * * *\"]\n")))
		if err != nil {
			if !strings.Contains(want, "longer") || !strings.Contains(err.Error(), want) {
				t.Errorf("%q: got %v, want the limit %s", value, err, want)
			}
			continue
		}
		out := string(res.Bytes())
		_, limit, _ := strings.Cut(out, "- name: run_time_limit_seconds\n")
		_, limit, _ = strings.Cut(limit, "gauge:\n")
		if !strings.HasPrefix(strings.TrimSpace(limit), "value: \""+want+"\"") {
			t.Errorf("%q: run_time_limit_seconds %q, want %s", value, strings.SplitN(strings.TrimSpace(limit), "\n", 2)[0], want)
		}
	}
}
