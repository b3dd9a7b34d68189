package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
)

// TestFunctionConfigFromArgs: Kustomize runs an exec function with the args of its annotation
// (`exec: {path: argo-metrics-gen, args: [--config, values.yaml]}`) and a ResourceList on
// stdin: the function then takes its configuration from that file (a chart values file here),
// on the byte path (block items) and on kyaml's framework path (flow items) alike; a
// functionConfig that carries a spec as well is refused, with every item unchanged.
func TestFunctionConfigFromArgs(t *testing.T) {
	dir := t.TempDir()
	values := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(values, []byte("argoMetricsConfig:\n  spec:\n    metrics:\n      exitCode: {name: job_failed}\n    labels:\n      fromResource:\n        team: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	head := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
	fn := "functionConfig:\n  apiVersion: argo-metrics-gen.io/v1alpha1\n  kind: ArgoMetricsConfig\n  metadata:\n    name: metrics\n"
	cw := "  apiVersion: argoproj.io/v1alpha1\n  kind: CronWorkflow\n  metadata:\n    name: nightly\n    namespace: data\n    labels:\n      team: payments\n  spec:\n    schedules: [\"0 3 * * *\"]\n    workflowSpec:\n      entrypoint: main\n"
	for name, tc := range map[string]struct {
		input, wantErr string
	}{
		"byte path":   {input: head + "items:\n-" + cw[1:] + fn},
		"framework":   {input: head + "items: [{apiVersion: argoproj.io/v1alpha1, kind: CronWorkflow, metadata: {name: nightly, namespace: data, labels: {team: payments}}, spec: {schedules: [\"0 3 * * *\"], workflowSpec: {entrypoint: main}}}]\n" + fn},
		"two configs": {input: head + "items:\n-" + cw[1:] + fn + "  spec: {}\n", wantErr: "functionConfig has a spec and --config gives the configuration too"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := cli.Run([]string{"--config", values}, cli.Env{Stdin: strings.NewReader(tc.input), Stdout: &out, Stderr: &errOut})
			if tc.wantErr != "" {
				if code == cli.ExitOK || !strings.Contains(out.String()+errOut.String(), tc.wantErr) {
					t.Errorf("exit %d, output %s%s; want a refusal containing %q", code, out.String(), errOut.String(), tc.wantErr)
				}
				return
			}
			if code != cli.ExitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			text := out.String()
			if !strings.Contains(text, "kind: ResourceList") || !strings.Contains(text, "job_failed") || !regexpTeam.MatchString(text) {
				t.Errorf("the function did not use the values file's configuration:\n%s", text)
			}
		})
	}
}

var regexpTeam = regexp.MustCompile(`key: team,?\s+value: payments`)
