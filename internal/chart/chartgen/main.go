// Command chartgen regenerates the batch-monitoring chart's derived files: the README (from
// README.in.md and the `# --` comments of values.yaml), the descriptions in values.schema.json
// and the Kustomize components of the pod-annotation route. Run from the repository root by
// `make chart-template` (after `argo-metrics-gen helm-template` has regenerated the chart's
// metric template). The chart package's tests fail while any of them is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/chart"
)

func main() {
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
