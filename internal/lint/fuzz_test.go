package lint_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/lint"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// FuzzLintPreview: reading, linting and previewing any input never panics, and every finding
// has a position.
func FuzzLintPreview(f *testing.F) {
	for _, glob := range []string{"../inject/testdata/*/input.yaml", "../../cmd/argo-metrics-gen/testdata/hostile/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := manifest.Read("in.yaml", data)
		if err != nil {
			return
		}
		for _, finding := range lint.Run(context.Background(), config.Default(), rs) {
			if finding.Line <= 0 || finding.File == "" {
				t.Fatalf("finding without a position: %+v", finding)
			}
		}
		if _, err := preview.Run(context.Background(), rs, preview.Options{Status: wfv1.WorkflowFailed, Duration: 1, Created: preview.DefaultCreated}); err != nil {
			t.Fatalf("preview: %v", err)
		}
	})
}
