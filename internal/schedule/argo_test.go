package schedule_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argolint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/schedule"
)

// TestSameAsArgo: a schedule is refused exactly when Argo v3.7.18's own validator refuses it,
// for every form robfig/cron reads (zone prefixes, descriptors, names, steps, "?").
func TestSameAsArgo(t *testing.T) {
	for _, tc := range []struct{ sched, tz string }{
		{"CRON_TZ=Asia/Tokyo 0 6 * * 1-5", ""}, {"TZ=Europe/Berlin 0 6 * * *", ""}, {"TZ=UTC @daily", ""},
		{"CRON_TZ=America/New_York @every 90m", ""}, {"CRON_TZ=Mars/Olympus 0 0 * * *", ""},
		{"@daily", ""}, {"@weekly", "Asia/Tokyo"}, {"@every 1h30m", ""}, {"@reboot", ""}, {"@every 0s", ""},
		{"0 9 * * MON-FRI", "Europe/London"}, {"0 0 1 JAN,JUL *", ""}, {"0 0 ? * *", ""},
		{"*/15 * * * *", ""}, {"0 0 1-31/2 * *", ""}, {"  0  0 * * *  ", ""}, {"0 0 * * 7", ""},
		{"0 0 * * 8", ""}, {"0 0 0 * * *", ""}, {"0 0 L * *", ""}, {"H 0 * * *", ""}, {"0 24 * * *", ""},
		{"0 0 * * *", "Mars/Olympus"}, {"0 0 * *", ""}, {"CRON_TZ=UTC", ""},
	} {
		t.Run(tc.sched+"|"+tc.tz, func(t *testing.T) {
			tz := ""
			if tc.tz != "" {
				tz = "\n  timezone: " + tc.tz
			}
			doc := fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: j}\nspec:\n  schedules: [%q]%s\n  workflowSpec:\n    entrypoint: main\n    templates: [{name: main, container: {image: alpine}}]\n", tc.sched, tz)
			res := argolint.Validate(context.Background(), []byte(doc))
			if res.Validated != 1 {
				t.Fatalf("Argo validated %d objects", res.Validated)
			}
			_, err := schedule.MaxInterval(schedule.Spec{Schedules: []string{tc.sched}, Timezone: tc.tz})
			argoRefuses := len(res.Findings) > 0
			if argoRefuses != (err != nil) {
				t.Fatalf("Argo refuses: %v (%v); we: %v", argoRefuses, res.Findings, err)
			}
			if argoRefuses && !strings.Contains(res.Findings[0].Err.Error(), "crashed") {
				// Argo's reason, in Argo's words: the text after its "is malformed: " or "invalid timezone".
				argo := res.Findings[0].Err.Error()
				if i := strings.Index(argo, "malformed: "); i >= 0 {
					argo = argo[i:]
				}
				if !strings.Contains(err.Error(), argo) {
					t.Errorf("Argo says %q, we say %q", argo, err)
				}
			}
		})
	}
}
