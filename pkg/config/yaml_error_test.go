package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// TestYAMLErrorLines: a configuration that is not YAML is reported at the line a user has to
// fix, as FILE:LINE: like every other configuration error.
func TestYAMLErrorLines(t *testing.T) {
	const head = "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: x\nspec:\n"
	for name, tc := range map[string]struct{ text, want string }{
		"list entry without a dash":    {head + "  kinds:\n  - CronWorkflow\n  x\n", "8: invalid YAML: could not find expected ':'"},
		"key indented off its mapping": {head + "  labels:\n    a: b\n   c: d\n", "8: invalid YAML: did not find expected key"},
		"key inside a block list":      {head + "  kinds:\n    - CronWorkflow\n    c: d\n", "8: invalid YAML: did not find expected '-' indicator"},
		"tab indentation":              {head + "\tkinds: []\n", "6: invalid YAML: found character that cannot start any token"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := config.LoadFile(path)
			if err == nil || err.Error() != path+":"+tc.want {
				t.Errorf("got %v\nwant %s:%s", err, path, tc.want)
			}
		})
	}
}
