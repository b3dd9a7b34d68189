package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
)

// TestPreviewExitHandlerFailed: `preview --exit-handler-failed` shows what the controller exports
// when the body succeeds and the onExit handler fails: the job failed, no success recorded.
func TestPreviewExitHandlerFailed(t *testing.T) {
	const cron = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly, namespace: data}
spec:
  schedules: ["0 3 * * *"]
  workflowSpec:
    entrypoint: main
    onExit: notify
    templates:
    - {name: main, container: {image: alpine, command: ["true"]}}
    - {name: notify, container: {image: alpine, command: ["true"]}}
`
	var injected, stderr bytes.Buffer
	if code := cli.Run([]string{"inject"}, cli.Env{Stdin: strings.NewReader(cron), Stdout: &injected, Stderr: &stderr}); code != 0 {
		t.Fatalf("inject: exit %d: %s", code, stderr.String())
	}
	labels := `{cronworkflow="nightly",namespace="data"}`
	for flag, want := range map[string]struct {
		exitCode    string
		lastSuccess bool
	}{"": {"0", true}, "--exit-handler-failed": {"1", false}} {
		args := []string{"preview", "--status", "Succeeded"}
		if flag != "" {
			args = append(args, flag)
		}
		var out bytes.Buffer
		stderr.Reset()
		if code := cli.Run(args, cli.Env{Stdin: bytes.NewReader(injected.Bytes()), Stdout: &out, Stderr: &stderr}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		if line := "argo_workflows_exit_code" + labels + " " + want.exitCode + "\n"; !strings.Contains(out.String(), line) {
			t.Errorf("%v: want %q in\n%s", args, line, out.String())
		}
		if got := strings.Contains(out.String(), "argo_workflows_last_success_timestamp"+labels); got != want.lastSuccess {
			t.Errorf("%v: last_success_timestamp shown=%v, want %v:\n%s", args, got, want.lastSuccess, out.String())
		}
	}
}
