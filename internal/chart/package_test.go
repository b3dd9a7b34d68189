package chart_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

// The chart as users get it: the archive `helm package` writes renders every scenario exactly as
// the chart's directory does and passes `helm lint --strict`, with no file of it edited (the
// configuration comes from the values); it holds what its templates read (the dashboard
// catalog) and not the tests' own files; its version and appVersion are the release's.
func TestPackagedChart(t *testing.T) {
	tgz, err := chart.Package(chartDir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(must(os.ReadFile(filepath.Join("..", "..", chart.VersionFile)))))
	if filepath.Base(tgz) != "batch-monitoring-"+version+".tgz" {
		t.Errorf("archive %s, want batch-monitoring-%s.tgz", filepath.Base(tgz), version)
	}
	ch, err := loader.Load(tgz)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Version != version || ch.Metadata.AppVersion != "v"+version {
		t.Errorf("packaged version %s, appVersion %s; want %s and v%s (%s)", ch.Metadata.Version, ch.Metadata.AppVersion, version, version, chart.VersionFile)
	}
	files := map[string]bool{}
	for _, f := range ch.Files {
		files[f.Name] = true
	}
	if !files[chart.DashboardCatalogFile] {
		t.Errorf("the archive lacks %s", chart.DashboardCatalogFile)
	}
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			vals := scenario(t, sc.file)
			fromDir, err := chart.Render(chartDir, vals, chart.Options{APIVersions: allAPIs})
			if err != nil {
				t.Fatal(err)
			}
			fromTgz, err := chart.Render(tgz, vals, chart.Options{APIVersions: allAPIs})
			if err != nil {
				t.Fatal(err)
			}
			if fromTgz.Manifest != fromDir.Manifest {
				t.Errorf("the packaged chart renders otherwise than its directory")
			}
			if msgs := chart.Lint(tgz, vals, "monitoring"); len(msgs) > 0 {
				t.Errorf("helm lint --strict of the archive:\n%s", strings.Join(msgs, "\n"))
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
