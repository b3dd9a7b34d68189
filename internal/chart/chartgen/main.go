// Command chartgen regenerates the batch-monitoring chart's derived files: its copies of the
// Helm templates of internal/helmtpl, the README (from README.in.md and the `# --` comments of
// values.yaml), values.schema.json's argoMetricsConfig (from schema/) and descriptions, the
// Kustomize components of the pod-annotation route and the dashboards to import. Run from the
// repository root by `make chart-template`. The chart package's tests fail while any of them is
// stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
)

func main() {
	// The Helm templates first: the rest is rendered from the chart.
	tpls, err := helmtpl.ChartFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chartgen:", err)
		os.Exit(1)
	}
	for p, b := range tpls {
		if _, err := chart.WriteIfChanged(filepath.FromSlash(p), b); err != nil {
			fmt.Fprintln(os.Stderr, "chartgen:", err)
			os.Exit(1)
		}
	}
	files, err := chart.Generated(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chartgen:", err)
		os.Exit(1)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		wrote, err := chart.WriteIfChanged(filepath.FromSlash(p), files[p])
		if err != nil {
			fmt.Fprintln(os.Stderr, "chartgen:", err)
			os.Exit(1)
		}
		if wrote {
			fmt.Println("wrote", p)
		}
	}
}
